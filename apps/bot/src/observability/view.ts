import { readLastGate, readLastVerify, redact, type BackendHealth, type Database, type GateSummary, type PhaseFlags, type ShadowStats, type VerifySummary } from '@repo/database';
import { flagsOf } from '../status.js';
import type { ShadowHistory, ShadowSample } from './history.js';
import { nextStep, type NextStep } from './runbook.js';
import type { ShadowEventCounts, ShadowLossCount } from './shadow-events.js';
import type { ComparedReadsSource, ComparedReadsState, JournalSource, JournalState } from './sources.js';

/** Everything the status page shows, gathered once per render. Nothing secret (errors redacted). */
export interface StatusView {
  /** When it was gathered, ISO 8601. */
  readonly at: string;
  readonly phase: Database['routing']['phase'];
  readonly description: string;
  readonly flags: PhaseFlags;
  readonly routing: { primary: string; reads: string; shadow: string | null };
  readonly backends: { sqlite: BackendHealth | null; postgres: BackendHealth | null };
  readonly stats: ReturnType<Database['stats']>;
  /** Shadow writes over the samples kept (the last hour at most). */
  readonly lastHour: { succeeded: number; failed: number; dropped: number; successRate: number | null; maxQueue: number; minutes: number };
  readonly samples: readonly ShadowSample[];
  /** Failed / dropped / abandoned row changes by table and cause since start (null: not counted in this setup). */
  readonly losses: readonly ShadowLossCount[] | null;
  readonly comparedReads: ComparedReadsState | null;
  /** null: unknown (no journal in this build, or unreadable). */
  readonly journal: JournalState | null;
  readonly lastVerify: VerifySummary | null;
  readonly lastGate: GateSummary | null;
  /** Folder the last verify/gate were read from. */
  readonly dataDir: string;
  readonly next: NextStep;
}

/** What {@link gatherView} reads. */
export interface ViewSources {
  readonly db: Database;
  readonly flags?: PhaseFlags | undefined;
  readonly history: ShadowHistory;
  readonly shadowEvents?: ShadowEventCounts | undefined;
  readonly comparedReads: ComparedReadsSource;
  readonly journal: JournalSource;
  /** Folder of `last-verify.json` and `last-gate.json`. */
  readonly dataDir: string;
}

/** Gathers the page's data: pings both backends (≤ 2 s each), reads the stored reports. Never throws. */
export async function gatherView(s: ViewSources): Promise<StatusView> {
  const { db } = s;
  const stats = db.stats();
  const samples = s.history.samples();
  const sum = (k: 'succeeded' | 'failed' | 'dropped') => samples.reduce((n, x) => n + x[k], 0);
  const succeeded = sum('succeeded');
  const failed = sum('failed');
  const dropped = sum('dropped');
  const done = succeeded + failed + dropped;
  const [backends, journal] = await Promise.all([db.health(), s.journal().catch(() => null)]);
  const lastVerify = readLastVerify(s.dataDir);
  const lastGate = readLastGate(s.dataDir);
  const shadow: ShadowStats | null = stats.shadow;
  const comparedReads = s.comparedReads();
  const view: StatusView = {
    at: new Date().toISOString(),
    phase: db.routing.phase,
    description: db.routing.description,
    flags: s.flags ?? flagsOf(db.routing),
    routing: { primary: db.routing.primary, reads: db.routing.reads, shadow: db.routing.shadow },
    backends,
    stats,
    lastHour: {
      succeeded,
      failed,
      dropped,
      successRate: done === 0 ? null : succeeded / done,
      maxQueue: Math.max(0, ...samples.map((x) => x.queue)),
      minutes: samples.length > 1 ? Math.round((samples.at(-1)!.at - samples[0]!.at) / 60_000) : 0,
    },
    samples,
    losses: s.shadowEvents ? s.shadowEvents.counts() : null,
    comparedReads,
    journal,
    lastVerify,
    lastGate,
    dataDir: s.dataDir,
    next: nextStep({ phase: db.routing.phase, lastVerify, lastGate, shadowLost: shadow ? shadow.failed + shadow.dropped : null, journalSize: journal?.size ?? null, comparedReads }),
  };
  return JSON.parse(redact(JSON.stringify(view))) as StatusView;
}
