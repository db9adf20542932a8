import { LATENCY_BUCKETS_S, readLastGate, readLastVerify, tableNames, type CompareCounts, type Database, type LatencyHistogram, type PhaseFlags } from '@repo/database';
import { collectDefaultMetrics, Registry, type Metric } from 'prom-client';
import { flagsOf } from '../status.js';
import type { ShadowEventCounts } from './shadow-events.js';
import type { ComparedReadsSource, JournalSource } from './sources.js';

type Labels = Record<string, string>;
type Sample = { labels?: Labels; value: number; metricName?: string };

/** What {@link createMetrics} reads. */
export interface MetricsSources {
  readonly db: Database;
  readonly flags?: PhaseFlags | undefined;
  readonly shadowEvents?: ShadowEventCounts | undefined;
  readonly comparedReads: ComparedReadsSource;
  readonly journal: JournalSource;
  /** Folder of `last-verify.json` and `last-gate.json`. */
  readonly dataDir: string;
  /** Collect Node's process metrics (`collectDefaultMetrics`). Default true. */
  readonly processMetrics?: boolean;
}

const PHASES = ['1', '4', '5', '6', '6+'] as const;
const CIRCUIT_STATES = ['closed', 'open', 'half-open'] as const;
const SHADOW_OUTCOMES = ['enqueued', 'succeeded', 'failed', 'dropped', 'abandoned'] as const;

/**
 * A metric whose samples are read from the database's own counters at scrape time (nothing is
 * counted twice; a counter restarts with the process, as Prometheus expects).
 */
function snapshot(registry: Registry, name: string, help: string, type: 'counter' | 'gauge' | 'histogram', read: () => Sample[] | Promise<Sample[]>): void {
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    async get() {
      return { name, help, type, aggregator: 'sum', values: await read() };
    },
    reset() {},
  };
  registry.registerMetric(metric as unknown as Metric);
}

/** Histogram samples (`_bucket` cumulative with `le`, `_sum`, `_count`) of `h`, one series per operation. */
function histogramSamples(name: string, h: LatencyHistogram | null, labels: Labels): Sample[] {
  if (!h) return [];
  const out: Sample[] = [];
  for (const [operation, b] of Object.entries(h)) {
    const l = { ...labels, operation };
    let cum = 0;
    LATENCY_BUCKETS_S.forEach((le, i) => {
      cum += b.counts[i] ?? 0;
      out.push({ metricName: `${name}_bucket`, labels: { ...l, le: String(le) }, value: cum });
    });
    out.push({ metricName: `${name}_bucket`, labels: { ...l, le: '+Inf' }, value: b.count });
    out.push({ metricName: `${name}_sum`, labels: l, value: b.sumS });
    out.push({ metricName: `${name}_count`, labels: l, value: b.count });
  }
  return out;
}

/**
 * The bot's Prometheus registry (`GET /metrics`, text format 0.0.4). Families, all prefixed `bot_`:
 * - `bot_migration_phase{phase}` 1 for the running phase, 0 for the others; `bot_migration_flag{flag}` 0/1;
 * - `bot_backend_up{backend}`, `bot_backend_ping_seconds{backend}` (a `SELECT 1` per scrape, ≤ 2 s);
 * - `bot_shadow_writes_total{backend,table,outcome}` enqueued/succeeded/failed/dropped/abandoned row changes
 *   per table (abandoned: lost with a dead worker or left at shutdown; every table of the schema has its
 *   series from the start; `table="unknown"` holds rows a dead worker took with it, whose table is not
 *   known), summing over `table` gives the totals of `db.shadowStats()`; `bot_shadow_write_timeouts_total`,
 *   `bot_shadow_write_losses_total{backend,outcome,table,cause}` (failed/dropped/abandoned by table and cause);
 * - `bot_shadow_queue_rows`, `bot_shadow_in_flight_rows`, `bot_shadow_circuit_state{state}`;
 * - histograms `bot_primary_write_duration_seconds`, `bot_read_duration_seconds`,
 *   `bot_shadow_apply_duration_seconds`, each `{backend,operation}`;
 * - `bot_read_fallbacks_total` (phase 5);
 * - `bot_compared_reads_enabled`, `bot_compared_reads_rate` (COMPARE_READS_RATE), `bot_compared_reads_total{call}`
 *   (compared to a verdict), `bot_compared_read_mismatches_total{call}`, `bot_compared_reads_dropped_total{call,reason}`
 *   (load, timeout, error, unsettled), `bot_compared_read_rechecks_total{call}` (differed, then matched once the shadow
 *   write landed), `bot_compared_reads_in_flight`, `bot_compared_reads_consistency_ratio{call,span}` (matched / compared,
 *   span `start` or `window` = the last hour; no series before the first comparison) — no series while not enabled;
 * - `bot_shadow_journal_entries` (no sample while unknown), `bot_shadow_journal_entries_by_table{table,code}`;
 * - `bot_last_verify_timestamp_seconds`, `bot_last_verify_ok`, `bot_last_verify_drifted_rows`,
 *   `bot_last_gate_timestamp_seconds`, `bot_last_gate_ok`, `bot_last_gate_criterion_pass{criterion}`
 *   (read from `<dataDir>/last-verify.json` and `last-gate.json`, so they survive a deploy);
 * - `bot_postgres_pool_max_connections`; `bot_pg_pool_connections{pool,state}` (`pool` main = the bot's
 *   pool, shadow = the shadow worker's own; `state` size or in_use) and `bot_pg_pool_waiting_calls{pool}`
 *   (`db.stats().pools`, counted by the database package: postgres.js does not expose them);
 *   Node's process metrics (`process_*`, `nodejs_*`).
 */
export function createMetrics(s: MetricsSources): Registry {
  const { db } = s;
  const registry = new Registry();
  if (s.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const shadowBackend = db.routing.shadow ?? 'none';

  snapshot(registry, 'bot_migration_phase', 'The running migration phase (1 for the label of the current phase).', 'gauge', () =>
    PHASES.map((phase) => ({ labels: { phase }, value: phase === db.routing.phase ? 1 : 0 })),
  );
  snapshot(registry, 'bot_migration_flag', 'Phase flags as configured (1 true, 0 unset).', 'gauge', () => {
    const f = s.flags ?? flagsOf(db.routing);
    return [
      { labels: { flag: 'USE_POSTGRES_PRIMARY' }, value: f.usePostgresPrimary ? 1 : 0 },
      { labels: { flag: 'USE_POSTGRES_READ' }, value: f.usePostgresRead ? 1 : 0 },
      { labels: { flag: 'USE_POSTGRES_SHADOW' }, value: f.usePostgresShadow ? 1 : 0 },
    ];
  });

  // Pool usage is read before this scrape's own queries (the ping, the journal) start: registered first, read first.
  const pools = () => Object.entries(db.stats().pools).flatMap(([pool, p]) => (p ? [[pool, p] as const] : []));
  snapshot(registry, 'bot_pg_pool_connections', 'PostgreSQL pool connections by pool (main: the bot\'s; shadow: the shadow worker\'s) and state (size: the pool size; in_use: busy with a query or transaction now).', 'gauge', () =>
    pools().flatMap(([pool, p]) => [
      { labels: { pool, state: 'size' }, value: p.size },
      { labels: { pool, state: 'in_use' }, value: p.inUse },
    ]),
  );
  snapshot(registry, 'bot_pg_pool_waiting_calls', 'Queries and transactions waiting for a free connection of the pool, by pool.', 'gauge', () => pools().map(([pool, p]) => ({ labels: { pool }, value: p.waiting })));

  // One ping per scrape, shared by the two families.
  let ping: { at: number; p: ReturnType<Database['health']> } | null = null;
  const health = () => {
    if (!ping || Date.now() - ping.at > 1_000) ping = { at: Date.now(), p: db.health() };
    return ping.p;
  };
  snapshot(registry, 'bot_backend_up', 'Whether the backend answered SELECT 1 within 2 s (1) or not (0); absent when the phase does not open it.', 'gauge', async () => {
    const h = await health();
    return (['sqlite', 'postgres'] as const).flatMap((b) => (h[b] ? [{ labels: { backend: b }, value: h[b].ok ? 1 : 0 }] : []));
  });
  snapshot(registry, 'bot_backend_ping_seconds', 'Round trip of SELECT 1 per backend, in seconds.', 'gauge', async () => {
    const h = await health();
    return (['sqlite', 'postgres'] as const).flatMap((b) => (h[b]?.latencyMs != null ? [{ labels: { backend: b }, value: h[b].latencyMs / 1000 }] : []));
  });

  const shadow = () => db.shadowStats();
  snapshot(registry, 'bot_shadow_writes_total', 'Shadow row changes by table and outcome since start: enqueued, succeeded, failed, dropped (queue full), abandoned (lost with a dead worker or left at shutdown); table="unknown": rows lost with a dead worker.', 'counter', () => {
    const st = shadow();
    if (!st) return [];
    const byTable = st.byTable ?? {};
    const tables = [...new Set([...tableNames, ...Object.keys(byTable)])];
    const out: Sample[] = [];
    for (const outcome of SHADOW_OUTCOMES) {
      let counted = 0;
      for (const table of tables) {
        const value = byTable[table]?.[outcome] ?? 0;
        counted += value;
        out.push({ labels: { backend: shadowBackend, table, outcome }, value });
      }
      // Rows whose table is not known (lost with a dead worker, posted and never counted by it).
      const rest = st[outcome] - counted;
      if (rest > 0) out.push({ labels: { backend: shadowBackend, table: 'unknown', outcome }, value: rest });
    }
    return out;
  });
  snapshot(registry, 'bot_shadow_write_timeouts_total', 'Shadow row changes that failed by passing the per-write deadline (included in outcome="failed").', 'counter', () => {
    const st = shadow();
    return st ? [{ labels: { backend: shadowBackend }, value: st.timedOut }] : [];
  });
  snapshot(registry, 'bot_shadow_write_losses_total', 'Shadow row changes that did not land, by outcome, table and cause (stable code, driver code after a slash).', 'counter', () =>
    (s.shadowEvents?.counts() ?? []).map((l) => ({ labels: { backend: l.backend === 'unknown' ? shadowBackend : l.backend, outcome: l.outcome, table: l.table, cause: l.cause }, value: l.rows })),
  );
  snapshot(registry, 'bot_shadow_queue_rows', 'Shadow row changes waiting (queued, or not yet acknowledged by the worker).', 'gauge', () => {
    const st = shadow();
    return st ? [{ labels: { backend: shadowBackend }, value: st.queued + st.unacknowledged }] : [];
  });
  snapshot(registry, 'bot_shadow_in_flight_rows', 'Shadow row changes being written now.', 'gauge', () => {
    const st = shadow();
    return st ? [{ labels: { backend: shadowBackend }, value: st.inFlight }] : [];
  });
  snapshot(registry, 'bot_shadow_circuit_state', 'Circuit of the shadow backend: 1 for the current state (closed, open, half-open).', 'gauge', () => {
    const st = shadow();
    return st ? CIRCUIT_STATES.map((state) => ({ labels: { backend: shadowBackend, state }, value: st.circuit === state ? 1 : 0 })) : [];
  });

  snapshot(registry, 'bot_primary_write_duration_seconds', 'Primary write latency per call, by backend and operation, in seconds.', 'histogram', () =>
    histogramSamples('bot_primary_write_duration_seconds', db.latencyHistograms().primary, { backend: db.routing.primary }),
  );
  snapshot(registry, 'bot_read_duration_seconds', 'Read latency per call (phase-5 fallbacks included), by read backend and operation, in seconds.', 'histogram', () =>
    histogramSamples('bot_read_duration_seconds', db.latencyHistograms().reads, { backend: db.routing.reads }),
  );
  snapshot(registry, 'bot_shadow_apply_duration_seconds', 'Shadow batch apply time on the shadow backend, in seconds.', 'histogram', () =>
    histogramSamples('bot_shadow_apply_duration_seconds', db.latencyHistograms().shadow, { backend: shadowBackend }),
  );
  snapshot(registry, 'bot_read_fallbacks_total', 'Phase-5 reads served by the primary (shadow writes not landed in time, or the read backend failed).', 'counter', () => [{ value: db.stats().reads.fallbacks }]);

  snapshot(registry, 'bot_compared_reads_enabled', 'Whether compared reads run (1) or not (0).', 'gauge', () => [{ value: s.comparedReads() ? 1 : 0 }]);
  const compared = (pick: (c: CompareCounts) => number) => () => Object.entries(s.comparedReads()?.byCall ?? {}).map(([call, c]) => ({ labels: { call }, value: pick(c) }));
  snapshot(registry, 'bot_compared_reads_rate', 'Share of reads sampled for comparing, 0..1 (COMPARE_READS_RATE); no sample while not enabled.', 'gauge', () => {
    const c = s.comparedReads();
    return c ? [{ value: c.rate }] : [];
  });
  snapshot(registry, 'bot_compared_reads_total', 'Reads also run on the other backend and compared to a verdict (matched or mismatched), by call.', 'counter', compared((c) => c.compared));
  snapshot(registry, 'bot_compared_read_mismatches_total', 'Compared reads whose answers differed after the read-your-writes re-check, by call.', 'counter', compared((c) => c.mismatched));
  snapshot(registry, 'bot_compared_reads_dropped_total', 'Reads sampled for comparing without a verdict, by call and reason (load, timeout, error, unsettled).', 'counter', () =>
    Object.entries(s.comparedReads()?.byCall ?? {}).flatMap(([call, c]) => Object.entries(c.droppedBy).map(([reason, value]) => ({ labels: { call, reason }, value }))),
  );
  snapshot(registry, 'bot_compared_read_rechecks_total', 'Compared reads that differed first, then matched once the shadow writes had landed (a race, not a mismatch), by call.', 'counter', compared((c) => c.rechecked));
  snapshot(registry, 'bot_compared_reads_in_flight', 'Compared reads running now (at most COMPARE_READS_CONCURRENCY).', 'gauge', () => {
    const c = s.comparedReads();
    return c ? [{ value: c.inFlight }] : [];
  });
  snapshot(registry, 'bot_compared_reads_consistency_ratio', 'Matched / compared per call, since start (span="start") and over the last hour (span="window").', 'gauge', () => {
    const c = s.comparedReads();
    if (!c) return [];
    const out: Sample[] = [];
    for (const [span, byCall] of [['start', c.byCall], ['window', c.window.byCall]] as const)
      for (const [call, x] of Object.entries(byCall)) if (x.consistency !== null) out.push({ labels: { call, span }, value: x.consistency });
    return out;
  });

  // One read of the journal per scrape, shared by the two families.
  let journalRead: { at: number; p: Promise<Awaited<ReturnType<JournalSource>>> } | null = null;
  const journal = () => {
    if (!journalRead || Date.now() - journalRead.at > 1_000) journalRead = { at: Date.now(), p: s.journal().catch(() => null) };
    return journalRead.p;
  };
  snapshot(registry, 'bot_shadow_journal_entries', "Entries in the durable shadow failure journal in the primary (rows to repair with `pnpm db reconcile --journal`); no sample while it cannot be read.", 'gauge', async () => {
    const j = await journal();
    return j ? [{ value: j.size }] : [];
  });
  snapshot(registry, 'bot_shadow_journal_entries_by_table', 'Entries in the shadow failure journal by table and code.', 'gauge', async () =>
    ((await journal())?.byTable ?? []).map((r) => ({ labels: { table: r.table, code: r.code }, value: r.entries })),
  );

  const verify = () => readLastVerify(s.dataDir);
  const gate = () => readLastGate(s.dataDir);
  const seconds = (iso: string | undefined) => (iso && Number.isFinite(Date.parse(iso)) ? Date.parse(iso) / 1000 : null);
  snapshot(registry, 'bot_last_verify_timestamp_seconds', 'Start of the last verify (unix seconds), from last-verify.json.', 'gauge', () => {
    const t = seconds(verify()?.startedAt);
    return t === null ? [] : [{ value: t }];
  });
  snapshot(registry, 'bot_last_verify_ok', 'Whether the last verify found no drift (1) or some (0).', 'gauge', () => {
    const v = verify();
    return v ? [{ value: v.ok ? 1 : 0 }] : [];
  });
  snapshot(registry, 'bot_last_verify_drifted_rows', 'Drifted rows found by the last verify.', 'gauge', () => {
    const v = verify();
    return v ? [{ value: v.drift }] : [];
  });
  snapshot(registry, 'bot_last_gate_timestamp_seconds', 'When the last gate finished (unix seconds), from last-gate.json.', 'gauge', () => {
    const t = seconds(gate()?.at);
    return t === null ? [] : [{ value: t }];
  });
  snapshot(registry, 'bot_last_gate_ok', 'Whether the last gate passed every criterion (1) or not (0).', 'gauge', () => {
    const g = gate();
    return g ? [{ value: g.ok ? 1 : 0 }] : [];
  });
  snapshot(registry, 'bot_last_gate_criterion_pass', 'Per criterion of the last gate: passed (1) or failed (0).', 'gauge', () => (gate()?.criteria ?? []).map((c) => ({ labels: { criterion: c.key }, value: c.pass ? 1 : 0 })));

  snapshot(registry, 'bot_postgres_pool_max_connections', "Size of the bot's PostgreSQL pool (postgres.js `max`; connections in use: bot_pg_pool_connections).", 'gauge', () => {
    const max = (db.backends.pg?.sql as { options?: { max?: number } } | undefined)?.options?.max;
    return typeof max === 'number' ? [{ value: max }] : [];
  });
  return registry;
}
