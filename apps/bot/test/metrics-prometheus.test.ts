import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBotConfig } from '../src/config.js';
import { startBot, type RunningBot } from '../src/lifecycle.js';
import { waitForShadowSettled } from '../src/replay/client.js';
import { tableNames, type ComparedReadsSnapshot } from '@repo/database';
import { memoryLogger, phaseEnv, sqliteRows, testBackends } from './helpers.js';

// A real bot in phase 4 (LibSQL file + PostgreSQL, shadow writes on a worker thread); its /metrics
// read by an independent parser of the Prometheus text format.

interface Family {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: Array<{ value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string; sum?: string }>;
}
const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[];

let backends: Awaited<ReturnType<typeof testBackends>>;
let bot: RunningBot;
let dataDir: string;
const log = memoryLogger();
const VERIFY_AT = '2026-03-01T10:00:00.000Z';
const GATE_AT = '2026-03-01T10:05:00.000Z';

async function send(userId: string, channelId: string, content: string): Promise<void> {
  const res = await fetch(`${bot.url}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId, username: userId.slice(2), channelId, content }) });
  expect(res.status, await res.clone().text()).toBe(200);
}
async function scrape(): Promise<{ families: Map<string, Family>; text: string; contentType: string | null }> {
  const res = await fetch(`${bot.url}/metrics`);
  expect(res.status).toBe(200);
  const text = await res.text();
  return { families: new Map(parsePrometheus(text).map((f) => [f.name, f])), text, contentType: res.headers.get('content-type') };
}
/**
 * The series of a labelled histogram, from the text itself: the parser above folds every series of
 * a histogram into one (it only handles unlabelled ones). Label values per the format's escapes.
 */
function histogramSeries(text: string, name: string): Array<{ labels: Record<string, string>; buckets: Record<string, number>; sum: number; count: number }> {
  const out = new Map<string, { labels: Record<string, string>; buckets: Record<string, number>; sum: number; count: number }>();
  const line = new RegExp(`^${name}_(bucket|sum|count)\\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\]|\\\\.)*",?)*)\\} (\\S+)$`);
  for (const l of text.split('\n')) {
    const m = line.exec(l);
    if (!m) {
      expect(l.startsWith(`${name}_`), `unparsed line ${l}`).toBe(false);
      continue;
    }
    const labels: Record<string, string> = {};
    for (const [, k, v] of m[2]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    const le = labels.le;
    delete labels.le;
    const key = JSON.stringify(labels);
    const s = out.get(key) ?? { labels, buckets: {}, sum: NaN, count: NaN };
    out.set(key, s);
    const v = m[3] === '+Inf' ? Infinity : Number(m[3]);
    if (m[1] === 'bucket') s.buckets[le!] = v;
    else if (m[1] === 'sum') s.sum = v;
    else s.count = v;
  }
  return [...out.values()];
}
const value = (f: Family | undefined, labels: Record<string, string> = {}) => {
  const m = f?.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  return m?.value === undefined ? undefined : Number(m.value);
};
/** Sum of every series of `f` that has `labels` (undefined when none has). */
const sumOf = (f: Family | undefined, labels: Record<string, string> = {}) => {
  const ms = f?.metrics.filter((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v)) ?? [];
  return ms.length === 0 ? undefined : ms.reduce((n, m) => n + Number(m.value), 0);
};

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'bot-metrics-'));
  // What `pnpm db verify` and `pnpm db gate` leave behind (the bot reads them at every scrape).
  writeFileSync(join(dataDir, 'last-verify.json'), JSON.stringify({ ok: true, startedAt: VERIFY_AT, durationMs: 1200, rows: 42, rowsPerSecond: 35, drift: 0, rejected: 0, recheckDelayMs: 0, tables: [], sample: [], rejectedSample: [], reportFile: null }));
  writeFileSync(
    join(dataDir, 'last-gate.json'),
    JSON.stringify({ at: GATE_AT, ok: false, failed: ['shadow'], durationMs: 900, criteria: [{ key: 'verify', name: 'verify', pass: true, value: '0', threshold: '0' }, { key: 'shadow', name: 'shadow', pass: false, value: '2%', threshold: '< 1%' }] }),
  );
  process.env.MIGRATION_DATA_DIR = dataDir;
  backends = await testBackends(true);
  // Every read compared (COMPARE_READS_RATE=1), enough slots that none is dropped for load.
  bot = await startBot({ ...loadBotConfig(phaseEnv(backends.sqlite.url, backends.pg!.url, { COMPARE_READS_RATE: '1', COMPARE_READS_CONCURRENCY: '16' })), port: 0, host: '127.0.0.1' }, log.logger);
  for (let i = 0; i < 4; i++) await send(`u-m${i % 2}`, 'c-metrics', `metrics message number ${i}`);
  await send('u-m0', 'c-metrics', '!search number');
  await waitForShadowSettled(bot.url, 15_000);
});
afterAll(async () => {
  delete process.env.MIGRATION_DATA_DIR;
  await bot?.stop();
  await backends?.cleanup();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('GET /metrics (phase 4)', () => {
  it('is Prometheus text format 0.0.4 that a parser reads, with conventional names', async () => {
    const { families, contentType, text } = await scrape();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(families.size).toBeGreaterThan(30);
    for (const f of families.values()) {
      expect(f.name, f.name).toMatch(/^[a-z_][a-z0-9_]*$/);
      expect(f.help.length, `${f.name} has help`).toBeGreaterThan(5);
      if (f.type === 'COUNTER') expect(f.name, `counter ${f.name}`).toMatch(/_total$/);
      if (f.name.startsWith('bot_') && f.type !== 'COUNTER') expect(f.name, `${f.name} is not a counter`).not.toMatch(/_total$/);
      if (f.name.startsWith('bot_') && /duration|latency|ping/.test(f.name)) expect(f.name).toMatch(/_seconds$/);
    }
    // Process metrics (collectDefaultMetrics).
    expect(value(families.get('process_cpu_user_seconds_total'))).toBeGreaterThan(0);
    expect(families.get('nodejs_heap_size_used_bytes')?.type).toBe('GAUGE');
    // Nothing secret: no connection string.
    expect(text).not.toContain(backends.pg!.url);
    expect(text).not.toMatch(/postgres:\/\//);
  });

  it('shows the phase, the flags, both backends up, the shadow counters equal to /status', async () => {
    const { families } = await scrape();
    const phase = families.get('bot_migration_phase')!;
    expect(phase.type).toBe('GAUGE');
    expect(Object.fromEntries(phase.metrics.map((m) => [m.labels!.phase, Number(m.value)]))).toEqual({ '1': 0, '4': 1, '5': 0, '6': 0, '6+': 0 });
    expect(value(families.get('bot_migration_flag'), { flag: 'USE_POSTGRES_SHADOW' })).toBe(1);
    expect(value(families.get('bot_migration_flag'), { flag: 'USE_POSTGRES_READ' })).toBe(0);
    expect(value(families.get('bot_backend_up'), { backend: 'sqlite' })).toBe(1);
    expect(value(families.get('bot_backend_up'), { backend: 'postgres' })).toBe(1);
    expect(value(families.get('bot_backend_ping_seconds'), { backend: 'postgres' })).toBeGreaterThan(0);

    const status = (await (await fetch(`${bot.url}/status`)).json()) as { stats: { shadow: { enqueued: number; succeeded: number; failed: number; dropped: number } } };
    const shadow = families.get('bot_shadow_writes_total')!;
    expect(shadow.type).toBe('COUNTER');
    const by = (outcome: string) => sumOf(shadow, { backend: 'postgres', outcome });
    expect(by('enqueued')).toBe(status.stats.shadow.enqueued);
    expect(by('succeeded')).toBe(status.stats.shadow.succeeded);
    expect(by('succeeded')).toBeGreaterThanOrEqual(20); // 5 messages: profile, message, count, reply, …
    expect(by('failed')).toBe(0);
    expect(by('dropped')).toBe(0);
    expect(by('abandoned')).toBe(0);
    expect(value(families.get('bot_shadow_queue_rows'), { backend: 'postgres' })).toBe(0);
    expect(value(families.get('bot_shadow_in_flight_rows'), { backend: 'postgres' })).toBe(0);
    expect(value(families.get('bot_shadow_circuit_state'), { state: 'closed' })).toBe(1);
    expect(value(families.get('bot_shadow_circuit_state'), { state: 'open' })).toBe(0);
    expect(value(families.get('bot_read_fallbacks_total'))).toBe(0);
    expect(families.get('bot_shadow_write_losses_total')!.metrics).toEqual([]);
  });

  it('has latency histograms by backend and operation whose buckets add up', async () => {
    const { families, text } = await scrape();
    const check = (name: string, backend: string, operation: string) => {
      expect(families.get(name)?.type, name).toBe('HISTOGRAM');
      const all = histogramSeries(text, name);
      const series = all.find((m) => m.labels.backend === backend && m.labels.operation === operation);
      expect(series, `${name}{backend=${backend},operation=${operation}} in ${JSON.stringify(all.map((m) => m.labels))}`).toBeDefined();
      const counts = Object.entries(series!.buckets).map(([le, n]) => [le === '+Inf' ? Infinity : Number(le), n] as const).sort((a, b) => a[0] - b[0]);
      expect(counts.length).toBe(15);
      for (let i = 1; i < counts.length; i++) expect(counts[i]![1]).toBeGreaterThanOrEqual(counts[i - 1]![1]);
      expect(counts.at(-1)![0]).toBe(Infinity);
      expect(counts.at(-1)![1]).toBe(Number(series!.count));
      expect(Number(series!.count)).toBeGreaterThan(0);
      expect(Number(series!.sum)).toBeGreaterThan(0);
      expect(Number(series!.sum)).toBeLessThan(Number(series!.count) * 10); // seconds, not ms
    };
    check('bot_primary_write_duration_seconds', 'sqlite', 'transaction');
    check('bot_read_duration_seconds', 'sqlite', 'find');
    check('bot_read_duration_seconds', 'sqlite', 'searchMessages');
    check('bot_shadow_apply_duration_seconds', 'postgres', 'apply');
  });

  it('reads the last verify and gate from the data folder; compared reads as /status counts them; the journal absent while unknown', async () => {
    const statusOf = async () => (await (await fetch(`${bot.url}/status`)).json()) as { stats: { comparedReads: ComparedReadsSnapshot | null } };
    for (let i = 0; i < 100 && (await statusOf()).stats.comparedReads!.inFlight > 0; i++) await new Promise((r) => setTimeout(r, 20));
    const compared = (await statusOf()).stats.comparedReads!;
    const { families } = await scrape();
    expect(value(families.get('bot_last_verify_ok'))).toBe(1);
    expect(value(families.get('bot_last_verify_drifted_rows'))).toBe(0);
    expect(value(families.get('bot_last_verify_timestamp_seconds'))).toBe(Date.parse(VERIFY_AT) / 1000);
    expect(value(families.get('bot_last_gate_ok'))).toBe(0);
    expect(value(families.get('bot_last_gate_timestamp_seconds'))).toBe(Date.parse(GATE_AT) / 1000);
    expect(value(families.get('bot_last_gate_criterion_pass'), { criterion: 'shadow' })).toBe(0);
    expect(value(families.get('bot_last_gate_criterion_pass'), { criterion: 'verify' })).toBe(1);
    expect(value(families.get('bot_compared_reads_enabled'))).toBe(1);
    expect(value(families.get('bot_compared_reads_rate'))).toBe(1);
    expect(families.get('bot_compared_reads_total')!.type).toBe('COUNTER');
    expect(families.get('bot_compared_read_mismatches_total')!.type).toBe('COUNTER');
    // the bot's reads (recent messages, the search) compared, all matched
    expect(compared.byCall.searchMessages!.compared).toBeGreaterThan(0);
    expect(compared.total.mismatched).toBe(0);
    for (const [call, c] of Object.entries(compared.byCall)) {
      expect(value(families.get('bot_compared_reads_total'), { call })).toBe(c.compared);
      expect(value(families.get('bot_compared_read_mismatches_total'), { call })).toBe(0);
      expect(value(families.get('bot_compared_reads_dropped_total'), { call, reason: 'load' })).toBe(c.droppedBy.load);
      if (c.compared > 0) expect(value(families.get('bot_compared_reads_consistency_ratio'), { call, span: 'start' })).toBe(1);
    }
    // Nothing failed yet: the primary's failure journal is empty (known, not absent).
    expect(families.get('bot_shadow_journal_entries')!.type).toBe('GAUGE');
    expect(value(families.get('bot_shadow_journal_entries'))).toBe(0);
    expect(families.get('bot_shadow_journal_entries_by_table')!.metrics).toEqual([]);
  });

  it('counts shadow writes per table: enqueued = succeeded = the row changes written to each table', async () => {
    await waitForShadowSettled(bot.url, 15_000);
    const { families } = await scrape();
    const shadow = families.get('bot_shadow_writes_total')!;
    const stats = bot.db.shadowStats()!;
    for (const table of tableNames) {
      // Every write of a row bumps its version (inserts start at 1, no deletes here): the sum of
      // versions on the primary is the number of row changes shadowed for the table.
      const [row] = await sqliteRows(backends.sqlite.url, `SELECT coalesce(sum(version), 0) AS n FROM "${table}"`);
      const written = Number(row!.n);
      expect(value(shadow, { backend: 'postgres', table, outcome: 'enqueued' }), table).toBe(written);
      expect(value(shadow, { backend: 'postgres', table, outcome: 'succeeded' }), table).toBe(written);
      expect(value(shadow, { backend: 'postgres', table, outcome: 'failed' }), table).toBe(0);
      expect(stats.byTable?.[table]?.succeeded ?? 0, table).toBe(written);
    }
    expect(value(shadow, { table: 'messages', outcome: 'succeeded' })).toBeGreaterThanOrEqual(8); // 5 human messages, their replies, the search's tool row
    expect(value(shadow, { table: 'queries', outcome: 'succeeded' })).toBe(1);
    // Nothing lost with a dead worker: no table="unknown" series; the tables add up to the totals.
    expect(shadow.metrics.filter((m) => m.labels?.table === 'unknown')).toEqual([]);
    expect(sumOf(shadow, { outcome: 'enqueued' })).toBe(stats.enqueued);
    expect(sumOf(shadow, { outcome: 'succeeded' })).toBe(stats.succeeded);
  });

  it('shows PostgreSQL pool usage: in_use rises during a slow query and returns to 0', async () => {
    const pools = async () => (await scrape()).families.get('bot_pg_pool_connections');
    const before = await pools();
    expect(before?.type).toBe('GAUGE');
    expect(value(before, { pool: 'main', state: 'size' })).toBe(bot.db.stats().pools.main!.size);
    expect(value(before, { pool: 'main', state: 'size' })).toBeGreaterThan(0);
    expect(value(before, { pool: 'shadow', state: 'size' })).toBeGreaterThanOrEqual(2); // the shadow worker's own pool
    expect(value(before, { pool: 'shadow', state: 'in_use' })).toBe(0);
    await expect.poll(async () => value(await pools(), { pool: 'main', state: 'in_use' }), { timeout: 5_000, interval: 50 }).toBe(0);
    const slow = bot.db.backends.pg!.query('SELECT pg_sleep(1.5)', []);
    try {
      await expect.poll(async () => value(await pools(), { pool: 'main', state: 'in_use' }), { timeout: 1_200, interval: 50 }).toBeGreaterThanOrEqual(1);
      expect(bot.db.stats().pools.main!.inUse).toBeGreaterThanOrEqual(1);
    } finally {
      await slow;
    }
    await expect.poll(async () => value(await pools(), { pool: 'main', state: 'in_use' }), { timeout: 5_000, interval: 50 }).toBe(0);
    expect(value((await scrape()).families.get('bot_pg_pool_waiting_calls'), { pool: 'main' })).toBe(0);
  });

  it('counts shadow writes lost by table and cause (a table dropped on PostgreSQL)', async () => {
    const sql = postgres(backends.pg!.url, { max: 1, onnotice: () => {} });
    try {
      await sql.unsafe('DROP TABLE "queries"');
    } finally {
      await sql.end({ timeout: 1 });
    }
    await send('u-m1', 'c-metrics', '!search plain'); // a query row → its shadow write fails on PostgreSQL
    await send('u-m1', 'c-metrics', 'and one more plain message');
    await waitForShadowSettled(bot.url, 15_000);
    const { families } = await scrape();
    const losses = families.get('bot_shadow_write_losses_total')!;
    const failedQueries = losses.metrics.filter((m) => m.labels?.table === 'queries' && m.labels?.outcome === 'failed');
    expect(failedQueries.length, JSON.stringify(losses.metrics)).toBe(1);
    expect(failedQueries[0]!.labels!.cause).toBe('SHADOW_WRITE_FAILED/42P01'); // undefined_table
    expect(failedQueries[0]!.labels!.backend).toBe('postgres');
    const total = losses.metrics.reduce((n, m) => n + Number(m.value), 0);
    expect(sumOf(families.get('bot_shadow_writes_total'), { outcome: 'failed' })).toBe(total);
    // The same rows by table: only queries failed.
    expect(value(families.get('bot_shadow_writes_total'), { table: 'queries', outcome: 'failed' })).toBe(total);
    // Other tables still land.
    expect(losses.metrics.every((m) => m.labels?.table === 'queries')).toBe(true);
    // The failed rows are in the primary's failure journal (written in the background), read back at each scrape.
    await expect
      .poll(async () => value((await scrape()).families.get('bot_shadow_journal_entries_by_table'), { table: 'queries', code: 'SHADOW_WRITE_FAILED' }), { timeout: 10_000, interval: 200 })
      .toBe(failedQueries.reduce((n, m) => n + Number(m.value), 0));
    expect(value((await scrape()).families.get('bot_shadow_journal_entries'))).toBe(total);
  });
});
