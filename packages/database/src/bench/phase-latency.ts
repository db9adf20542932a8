import { loadConfig } from '../config/env.js';
import { createDatabase, type Database } from '../database.js';
import { createLogger } from '../logger.js';
import { createTestPostgres } from '../testing/postgres.js';
import { createTestSqlite } from '../testing/sqlite.js';
import { fmt, summarize } from './stats.js';

/** Result of one phase: saveHumanMessage latency in ms, as the caller sees it. */
export interface PhaseLatency {
  phase: string;
  n: number;
  p50: number;
  p99: number;
  mean: number;
  shadow: { succeeded: number; failed: number; dropped: number } | null;
  /**
   * With `reads`: queryMessages latency (a channel's newest 20, ms) as the caller sees it, and the
   * compared reads behind it (phase 4 compares LibSQL's answers with PostgreSQL's at COMPARE_READS_RATE).
   */
  reads?: { n: number; p50: number; p99: number; mean: number; compared: number; mismatched: number; dropped: number } | null;
}

const FLAGS: Record<string, Record<string, string>> = {
  '1': {},
  '4': { USE_POSTGRES_SHADOW: 'true' },
  '6': { USE_POSTGRES_PRIMARY: 'true' },
};

const CONTENT = 'The best way to predict the future is to invent it. -- Alan Kay';

async function measure(db: Database, n: number, samples: number[], seq: { i: number }, readSamples: number[] | null = null): Promise<void> {
  for (let k = 0; k < n; k++) {
    const i = seq.i++;
    const t0 = performance.now();
    await db.messageService.saveHumanMessage({
      userId: `u${i % 50}`,
      username: `user${i % 50}`,
      channelId: `c${i % 8}`,
      channelName: `channel-${i % 8}`,
      guildId: 'g1',
      messageContent: `${CONTENT} #${i}`,
      messageId: String(1_200_000_000_000_000_000n + BigInt(i)),
      sessionId: `s${i % 20}`,
      responseDecision: { shouldRespond: i % 2 === 0, confidence: 0.9, reason: 'bench' },
      metadata: { topic: i % 3 === 0 ? 'billing' : 'chat', seq: i },
    });
    samples.push(performance.now() - t0);
    if (readSamples) {
      // What the bot does next: the channel's recent messages (a read, compared at COMPARE_READS_RATE in phase 4).
      const r0 = performance.now();
      await db.messageService.queryMessages({ channelId: `c${i % 8}`, limit: 20 });
      readSamples.push(performance.now() - r0);
    }
    // The next chat event arrives on a later turn of the event loop, as it would over HTTP.
    await new Promise((r) => setImmediate(r));
  }
}

/**
 * saveHumanMessage latency (ms) in phases 1, 4 and 6, measured in one run on one machine:
 * the phases take turns in rounds (1, 4, 6, 1, 4, 6, …) so drift of the machine hits all alike.
 * Each phase has its own LibSQL file and PostgreSQL database, with the shadow queue at defaults.
 */
export async function benchPhaseLatency(opts: { perRound: number; rounds: number; warmup: number; reads?: boolean }): Promise<PhaseLatency[]> {
  const logger = createLogger({ level: 'error' });
  const setups = await Promise.all(
    Object.entries(FLAGS).map(async ([phase, flags]) => {
      const pg = await createTestPostgres(`bench_p${phase}`);
      const lite = createTestSqlite();
      // SHADOW_* settings of the environment apply (to compare, e.g., SHADOW_CONCURRENCY=1 and 4).
      // COMPARE_READS_* too (unset: the default rate); compared reads only run with `reads`.
      const shadowEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('SHADOW_') || k.startsWith('COMPARE_READS_')));
      const db = await createDatabase(loadConfig({ ...shadowEnv, LIBSQL_URL: lite.url, DATABASE_URL: pg.url, ...flags }), { logger });
      return { phase, pg, lite, db, samples: [] as number[], readSamples: opts.reads ? ([] as number[]) : null, seq: { i: 0 } };
    }),
  );
  try {
    for (const s of setups) await measure(s.db, opts.warmup, [], s.seq, s.readSamples ? [] : null);
    for (let r = 0; r < opts.rounds; r++) {
      for (const s of setups) {
        await measure(s.db, opts.perRound, s.samples, s.seq, s.readSamples);
        await waitIdle(s.db);
      }
    }
    return setups.map((s) => {
      const st = s.db.shadowStats();
      const c = s.db.comparedReads()?.total;
      const reads = s.readSamples && { ...summarize(s.readSamples), compared: c?.compared ?? 0, mismatched: c?.mismatched ?? 0, dropped: c?.dropped ?? 0 };
      return { phase: s.phase, ...summarize(s.samples), shadow: st && { succeeded: st.succeeded, failed: st.failed, dropped: st.dropped }, reads };
    });
  } finally {
    for (const s of setups) {
      await s.db.close();
      await s.pg.drop();
      s.lite.remove();
    }
  }
}

async function waitIdle(db: Database): Promise<void> {
  for (;;) {
    const st = db.shadowStats();
    if (!st || st.queued + st.inFlight + st.unacknowledged === 0) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Markdown table of the results plus the phase 4 / phase 1 ratios and the targets. */
export function phaseLatencyReport(results: PhaseLatency[]): string {
  const by = Object.fromEntries(results.map((r) => [r.phase, r]));
  const p1 = by['1']!;
  const p4 = by['4']!;
  const lines = [
    '| phase | calls | p50 ms | p99 ms | mean ms | shadow ok/failed/dropped |',
    '|---|---|---|---|---|---|',
    ...results.map((r) => `| ${r.phase} | ${r.n} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.mean)} | ${r.shadow ? `${r.shadow.succeeded}/${r.shadow.failed}/${r.shadow.dropped}` : '-'} |`),
    '',
    `phase 4 / phase 1: p50 ratio ${fmt(p4.p50 / p1.p50, 3)} (target ≤ 1.05), p99 ratio ${fmt(p4.p99 / p1.p99, 3)} (target ≤ 1.10)`,
  ];
  if (p1.reads && p4.reads) {
    lines.push(
      '',
      '| phase | reads | p50 ms | p99 ms | mean ms | compared / mismatched / dropped |',
      '|---|---|---|---|---|---|',
      ...results.map((r) => (r.reads ? `| ${r.phase} | ${r.reads.n} | ${fmt(r.reads.p50)} | ${fmt(r.reads.p99)} | ${fmt(r.reads.mean)} | ${r.reads.compared}/${r.reads.mismatched}/${r.reads.dropped} |` : '')),
      '',
      `queryMessages, phase 4 (compared reads on) / phase 1: p50 ratio ${fmt(p4.reads.p50 / p1.reads.p50, 3)} (target ≤ 1.05), p99 ratio ${fmt(p4.reads.p99 / p1.reads.p99, 3)} (target ≤ 1.10)`,
    );
  }
  return lines.join('\n');
}
