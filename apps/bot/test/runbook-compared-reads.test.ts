import type { CompareCounts, ComparedReadsSnapshot, GateSummary, VerifySummary } from '@repo/database';
import { describe, expect, it } from 'vitest';
import { MIN_COMPARED_READS, nextStep } from '../src/observability/runbook.js';

// The status page's next step in phase 4 looks at compared reads before sending to the gate or to
// phase 5 (the gate's compared_reads criterion: ≥ 99.9 % overall and per call, ≥ 500 compared).

const VERIFY: VerifySummary = { ok: true, startedAt: '2026-03-01T10:00:00.000Z', drift: 0 } as VerifySummary;
const gate = (ok: boolean): GateSummary => ({ at: '2026-03-01T10:05:00.000Z', ok, failed: ok ? [] : ['compared_reads'], criteria: [] }) as unknown as GateSummary;

function counts(compared: number, mismatched: number): CompareCounts {
  return { compared, matched: compared - mismatched, mismatched, dropped: 0, droppedBy: { load: 0, timeout: 0, error: 0, unsettled: 0 }, rechecked: 0, consistency: compared === 0 ? null : (compared - mismatched) / compared };
}
function snapshot(byCall: Record<string, CompareCounts>, rate = 0.01): ComparedReadsSnapshot {
  const total = Object.values(byCall).reduce((t, c) => counts(t.compared + c.compared, t.mismatched + c.mismatched), counts(0, 0));
  return { rate, served: 'sqlite', other: 'postgres', since: '2026-03-01T09:00:00.000Z', total, byCall, window: { minutes: 60, total, byCall }, inFlight: 0, recentMismatches: [] };
}
const step = (comparedReads: ComparedReadsSnapshot | null | undefined, lastGate: GateSummary | null = null) => nextStep({ phase: '4', lastVerify: VERIFY, lastGate, shadowLost: 0, journalSize: 0, comparedReads });

describe('next step in phase 4: compared reads', () => {
  it('says compared reads are off, before the gate and before phase 5', () => {
    expect(step(null).text).toMatch(/^Compared reads are off/);
    expect(step(null).command).toBe('COMPARE_READS_RATE=0.01');
    expect(step(null, gate(true)).text).toMatch(/^Compared reads are off/);
  });

  it('says too few were compared (and to raise the rate below 1)', () => {
    expect(step(snapshot({ searchMessages: counts(12, 0) })).text).toBe(`Only 12 reads compared since the bot started; the gate needs ${MIN_COMPARED_READS}: let traffic run or raise COMPARE_READS_RATE (now 0.01).`);
    expect(step(snapshot({ searchMessages: counts(12, 0) }, 1)).text).toBe(`Only 12 reads compared since the bot started; the gate needs ${MIN_COMPARED_READS}: let traffic run.`);
    expect(step(snapshot({ searchMessages: counts(12, 0) }), gate(true)).text).toMatch(/^Only 12 reads compared/);
  });

  it('says the consistency is below the bar, overall or for one call', () => {
    const low = step(snapshot({ 'get.messages': counts(1000, 10), searchMessages: counts(1000, 0) }));
    expect(low.text).toBe('Compared reads agree 99.5% (10 of 2000 mismatched), below 99.9%: get.messages 99%. Look at the compare_read_mismatch events, verify and reconcile before moving reads.');
    expect(low.command).toBe('pnpm db verify');
    // Overall fine (99.95 %), one call below the bar.
    expect(step(snapshot({ 'get.messages': counts(19_000, 0), 'find.queries': counts(1000, 10) })).text).toMatch(/below 99\.9%: find\.queries 99%\./);
  });

  it('enough compared reads that agree: the usual steps (run the gate, then phase 5)', () => {
    const ok = snapshot({ 'get.messages': counts(400, 0), searchMessages: counts(100, 0) });
    expect(step(ok).text).toBe('Verify is clean. Run the gate against this bot.');
    expect(step(ok, gate(true)).text).toBe('The gate passed: set USE_POSTGRES_READ=true and keep USE_POSTGRES_SHADOW=true (phase 5).');
    // Not considered (undefined): as before.
    expect(step(undefined).text).toBe('Verify is clean. Run the gate against this bot.');
  });

  it('a failed gate still comes first: fix what it found', () => {
    expect(step(snapshot({ searchMessages: counts(3, 0) }), gate(false)).text).toBe('The last gate failed (compared_reads): fix those, then run the gate again.');
  });
});
