import { describeError } from '../errors.js';
import { redact } from '../logger.js';
import { searchTerms } from '../services/search-terms.js';
import { SEARCH_PREFIX_CHARS, tableNames, tables } from '../schema/tables.js';
import { q } from '../stores/table-sql.js';
import type { OrderBy, Row } from '../stores/store.js';
import type { Side } from './source/backend-pair.js';
import { DEFERRED_INDEXES_TABLE } from './load/deferred-indexes.js';

/** Read-latency sample of {@link measureReadLatency}; all times in ms. */
export interface LatencySample {
  readonly calls: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
  /** Calls per kind of read. */
  readonly byKind: Readonly<Record<string, number>>;
}

/** Nearest-rank percentile of sorted values (ms). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/**
 * Up to `n` random messages of a side (for read samples and the search check), their content cut
 * to the part PostgreSQL's search indexes ({@link SEARCH_PREFIX_CHARS}).
 */
export async function sampleMessages(side: Side, n: number): Promise<Row[]> {
  return side.query(
    `SELECT id, user_id, channel_id, substr(message_content, 1, ?) AS message_content FROM messages ORDER BY random() LIMIT ?`,
    [SEARCH_PREFIX_CHARS, n],
  );
}

/** omega-bot's message order: newest first (timestamp in ms, then id). */
const newestFirst: OrderBy = [
  ['timestamp', 'desc'],
  ['id', 'desc'],
];
/** omega-bot's `listDocuments` order. */
const documentsNewestFirst: OrderBy = [
  ['updated_at', 'desc'],
  ['id', 'desc'],
];

/** PostgreSQL leaves words of 2,048 bytes or more out of a tsvector ("word is too long to be indexed"). */
const indexable = (term: string) => Buffer.byteLength(term) < 2048;

/**
 * Runs `calls` of the app's real read queries one after another against `side`'s store and
 * measures each (ms): `get` by id, a channel's and a user's newest 50 messages (`find`, timestamp
 * DESC, id DESC, as omega-bot's `queryMessages`), `count` of a channel's messages,
 * `searchMessages` (a word of a sampled message, scoped to its channel), a creator's newest 20
 * documents (`find`, updated_at DESC, as `listDocuments`), when there are documents. The first 10
 * calls warm the pool and are not counted.
 * With no messages, only document and profile reads run (or nothing: `calls` 0).
 */
export async function measureReadLatency(side: Side, calls: number): Promise<LatencySample> {
  const msgs = await sampleMessages(side, 50);
  const creators = (await side.query(`SELECT created_by FROM documents ORDER BY random() LIMIT 20`, [])).map((r) => String(r.created_by));
  const store = side.store;
  const reads: Array<[string, () => Promise<unknown>]> = [];
  for (const m of msgs) {
    const id = String(m.id);
    // Nullable on omega-bot's layout: null filters on IS NULL.
    const channelId = m.channel_id ?? null;
    const userId = m.user_id ?? null;
    const word = searchTerms(String(m.message_content ?? '')).filter(indexable)[0];
    reads.push(['get', () => store.get('messages', id)]);
    reads.push(['find(messages by channel)', () => store.find('messages', { channel_id: channelId }, { orderBy: newestFirst, limit: 50 })]);
    reads.push(['find(messages by user)', () => store.find('messages', { user_id: userId }, { orderBy: newestFirst, limit: 50 })]);
    reads.push(['count(messages by channel)', () => store.count('messages', { channel_id: channelId })]);
    if (word) reads.push(['searchMessages', () => store.searchMessages({ terms: [word], where: { channel_id: channelId }, limit: 20 })]);
  }
  for (const c of creators) {
    reads.push(['find(documents by creator)', () => store.find('documents', { created_by: c }, { orderBy: documentsNewestFirst, limit: 20 })]);
  }
  if (reads.length === 0) return { calls: 0, p50Ms: 0, p95Ms: 0, maxMs: 0, byKind: {} };
  const times: number[] = [];
  const byKind: Record<string, number> = {};
  for (let i = 0; i < calls + 10; i++) {
    const [kind, read] = reads[i % reads.length]!;
    const t0 = performance.now();
    await read();
    if (i < 10) continue;
    times.push(performance.now() - t0);
    byKind[kind] = (byKind[kind] ?? 0) + 1;
  }
  times.sort((a, b) => a - b);
  return { calls: times.length, p50Ms: round(percentile(times, 50)), p95Ms: round(percentile(times, 95)), maxMs: round(times.at(-1) ?? 0), byKind };
}

/** Result of {@link checkSearch}. */
export interface SearchCheck {
  /** Messages tried (random ones with at least one word). */
  readonly tried: number;
  readonly found: number;
  /** The first miss: the message id and the words searched. */
  readonly miss: { readonly id: string; readonly terms: readonly string[] } | null;
}

/**
 * Full-text search works: for up to `n` random stored messages, a search for their longest
 * words (up to 3, scoped to the message's channel and user) must return that message.
 */
export async function checkSearch(side: Side, n = 5): Promise<SearchCheck> {
  const msgs = await sampleMessages(side, n * 4);
  let tried = 0;
  let found = 0;
  let miss: SearchCheck['miss'] = null;
  for (const m of msgs) {
    if (tried === n) break;
    const terms = searchTerms(String(m.message_content ?? ''))
      .filter(indexable)
      .sort((a, b) => b.length - a.length)
      .slice(0, 3);
    if (terms.length === 0) continue;
    tried++;
    const rows = await side.store.searchMessages({ terms, where: { channel_id: m.channel_id ?? null, user_id: m.user_id ?? null }, limit: 200 });
    if (rows.some((r) => r.id === m.id)) found++;
    else miss ??= { id: String(m.id), terms };
  }
  return { tried, found, miss };
}

/** Rows whose parent does not exist, per foreign key of the table specs (`child.column → parent.column`). */
export interface OrphanCount {
  /** `document_collaborators.document_id → documents.id`, `user_analysis_history.user_id → user_profiles.user_id`. */
  readonly foreignKey: string;
  readonly orphans: number;
}

/**
 * Foreign-key violations on one side: for every foreign key of the table specs, the rows whose
 * referenced row does not exist (NULL references are not counted). Identifiers come from the specs only.
 */
export async function orphanRows(side: Side): Promise<OrphanCount[]> {
  const out: OrphanCount[] = [];
  for (const t of tableNames) {
    for (const fk of tables[t].foreignKeys) {
      const ref = fk.references;
      const rows = await side.query(
        `SELECT count(*) AS n FROM ${q(t)} c WHERE c.${q(fk.column)} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${q(ref.table)} p WHERE p.${q(ref.column)} = c.${q(fk.column)})`,
        [],
      );
      out.push({ foreignKey: `${t}.${fk.column} → ${ref.table}.${ref.column}`, orphans: Number(rows[0]?.n ?? 0) });
    }
  }
  return out;
}

/** Shadow-write counters read from the bot's `GET /status` (`stats.shadow`). */
export interface BotShadow {
  readonly phase: string | null;
  readonly backend: string | null;
  readonly succeeded: number;
  readonly failed: number;
  readonly dropped: number;
  /** The bot's own `failureRate` (failed / (succeeded + failed)). */
  readonly reportedFailureRate: number | null;
  /** (failed + dropped) / (succeeded + failed + dropped): a dropped write is a missed write too. */
  readonly failureRate: number | null;
}

/** What the bot's `GET /status` says of its phase: `phase` and `routing.primary` (null when absent). */
export interface BotPhase {
  readonly phase: string | null;
  /** The backend the running bot writes to first (`routing.primary`). */
  readonly primary: 'sqlite' | 'postgres' | null;
}

/** The parts of the bot's `GET /status` body read here (see apps/bot/src/status.ts). */
interface BotStatusBody {
  readonly phase?: unknown;
  readonly routing?: { readonly primary?: unknown };
  readonly stats: { readonly shadow?: Record<string, unknown> | null; readonly comparedReads?: unknown };
}

/** `GET <botUrl>/status` (or the URL itself when it ends in /status), 5 s deadline. */
async function readBotStatus(botUrl: string, fetchImpl: typeof fetch): Promise<BotStatusBody> {
  const url = /\/status\/?$/.test(botUrl) ? botUrl : `${botUrl.replace(/\/+$/, '')}/status`;
  let body: Partial<BotStatusBody> | null;
  try {
    const res = await fetchImpl(url, { signal: AbortSignal.timeout(5_000), headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    body = (await res.json()) as typeof body;
  } catch (e) {
    throw new Error(`GET ${redact(url)} failed: ${redact(describeError(e).message)}`);
  }
  if (!body || typeof body !== 'object' || !body.stats) throw new Error(`GET ${redact(url)}: no "stats" in the answer (is this the bot's /status?)`);
  return body as BotStatusBody;
}

/**
 * Reads `GET <botUrl>/status` (5 s deadline): the phase the running bot derived and its primary.
 * @throws Error with a one-line, redacted reason when the bot does not answer or the body is not the bot's `/status`.
 */
export async function readBotPhase(botUrl: string, fetchImpl: typeof fetch = fetch): Promise<BotPhase> {
  const body = await readBotStatus(botUrl, fetchImpl);
  const primary = body.routing?.primary;
  return { phase: typeof body.phase === 'string' ? body.phase : null, primary: primary === 'sqlite' || primary === 'postgres' ? primary : null };
}

/**
 * Reads `GET <botUrl>/status` (5 s deadline) and extracts the shadow counters; null when the bot
 * runs without shadow writes.
 * @throws Error with a one-line, redacted reason when the bot does not answer or the body has no `stats`.
 */
export async function readBotShadow(botUrl: string, fetchImpl: typeof fetch = fetch): Promise<BotShadow | null> {
  const body = await readBotStatus(botUrl, fetchImpl);
  const s = body.stats.shadow;
  if (!s) return null;
  const n = (k: string) => (typeof s[k] === 'number' ? (s[k] as number) : 0);
  const [succeeded, failed, dropped] = [n('succeeded'), n('failed'), n('dropped')];
  const total = succeeded + failed + dropped;
  return {
    phase: typeof body.phase === 'string' ? body.phase : null,
    backend: typeof s.backend === 'string' ? s.backend : null,
    succeeded,
    failed,
    dropped,
    reportedFailureRate: typeof s.failureRate === 'number' ? s.failureRate : null,
    failureRate: total > 0 ? (failed + dropped) / total : null,
  };
}

/** Compared reads as the bot reports them in `GET /status` (`stats.comparedReads`, routing/compare-stats.ts). */
export interface BotComparedReads {
  readonly phase: string | null;
  /** COMPARE_READS_RATE of the bot, 0..1. */
  readonly rate: number;
  /** Since the bot started: all calls, then per call (`get.messages`, `searchMessages`…). */
  readonly compared: number;
  readonly matched: number;
  readonly mismatched: number;
  readonly dropped: number;
  readonly byCall: Readonly<Record<string, { compared: number; matched: number; mismatched: number; dropped: number }>>;
}

/**
 * Reads `GET <botUrl>/status` (5 s deadline) and extracts the compared-read counters since the
 * bot started; null when the bot does not compare reads (phase 1 or 6, COMPARE_READS_RATE=0, or a
 * bot that predates compared reads).
 * @throws Error with a one-line, redacted reason when the bot does not answer or the body has no `stats`.
 */
export async function readBotComparedReads(botUrl: string, fetchImpl: typeof fetch = fetch): Promise<BotComparedReads | null> {
  const body = await readBotStatus(botUrl, fetchImpl);
  const c = body.stats.comparedReads as { rate?: unknown; total?: Record<string, unknown>; byCall?: Record<string, Record<string, unknown>> } | null | undefined;
  if (!c || typeof c !== 'object' || !c.total) return null;
  const n = (o: Record<string, unknown> | undefined, k: string) => (o && typeof o[k] === 'number' ? (o[k] as number) : 0);
  const byCall = Object.fromEntries(
    Object.entries(c.byCall ?? {}).map(([call, x]) => [call, { compared: n(x, 'compared'), matched: n(x, 'matched'), mismatched: n(x, 'mismatched'), dropped: n(x, 'dropped') }]),
  );
  return {
    phase: typeof body.phase === 'string' ? body.phase : null,
    rate: typeof c.rate === 'number' ? c.rate : 0,
    compared: n(c.total, 'compared'),
    matched: n(c.total, 'matched'),
    mismatched: n(c.total, 'mismatched'),
    dropped: n(c.total, 'dropped'),
    byCall,
  };
}

/** An index a bulk load dropped and did not build again yet (`transfer_deferred_indexes`, load/deferred-indexes.ts). */
export interface PendingIndex {
  readonly index: string;
  readonly table: string;
  /** When it was dropped (ISO 8601 text as PostgreSQL prints it). */
  readonly deferredAt: string;
}

/**
 * The indexes recorded as deferred on PostgreSQL (a killed or failed bulk load left them; the
 * next copy, import or `db migrate --target postgres` builds them). [] when the bookkeeping table
 * does not exist (no bulk load ever ran there). Cutting over without them makes the bot's reads
 * slow (the search GIN index, the timeline btrees).
 */
export async function pendingIndexes(side: Side): Promise<PendingIndex[]> {
  const [t] = await side.query(`SELECT to_regclass(?) IS NOT NULL AS ok`, [DEFERRED_INDEXES_TABLE]);
  if (!t || (t.ok !== true && t.ok !== 1)) return [];
  const rows = await side.query(`SELECT index_name, table_name, deferred_at::text AS deferred_at FROM ${q(DEFERRED_INDEXES_TABLE)} ORDER BY table_name, index_name`, []);
  return rows.map((r) => ({ index: String(r.index_name), table: String(r.table_name), deferredAt: String(r.deferred_at) }));
}
