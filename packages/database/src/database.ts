import type { DatabaseConfig } from './config/env.js';
import { derivePhase, type Routing } from './config/phase.js';
import { assertSchema } from './config/schema-check.js';
import { DatabaseError, describeError } from './errors.js';
import { createLogger, redact, redactUrl, type Logger } from './logger.js';
import { migratePostgres, migrateSqlite } from './migrations/migrate.js';
import type { LatencyHistogram } from './routing/latency.js';
import { DEFAULT_COMPARE_READS_CONCURRENCY, DEFAULT_COMPARE_READS_RATE, DEFAULT_COMPARE_READS_TIMEOUT_MS, ReadComparer } from './routing/compare-reads.js';
import type { ComparedReadsSnapshot } from './routing/compare-stats.js';
import { RoutedStore } from './routing/routed-store.js';
import { ShadowQueue, type ShadowStats } from './routing/shadow-queue.js';
import type { ShadowSink } from './routing/shadow-sink.js';
import { WorkerShadow } from './routing/worker-shadow.js';
import { FailureJournal, JOURNAL_TABLE, journalExists, journalSqlOf } from './routing/failure-journal.js';
import { DocumentService } from './services/document-service.js';
import { MessageService } from './services/message-service.js';
import { QueryService } from './services/query-service.js';
import { UserProfileService } from './services/user-profile-service.js';
import { PgConnection, pgTimeoutsFromEnv, type PgPoolStats } from './stores/pg/pg-connection.js';
import { pgDialect } from './stores/pg/pg-dialect.js';
import { SqlStore } from './stores/sql-store.js';
import { openSqlite } from './stores/sqlite/sqlite-connection.js';
import { sqliteDialect } from './stores/sqlite/sqlite-dialect.js';

/** Reachability of one backend, as `/status` and `db status` show it. */
export interface BackendHealth {
  readonly ok: boolean;
  /** Round trip of `SELECT 1`, in ms. */
  readonly latencyMs: number | null;
  readonly error: string | null;
}

/** A configured data layer: the four services plus routing, statistics and shutdown. */
export interface Database {
  readonly messageService: MessageService;
  readonly queryService: QueryService;
  readonly documentService: DocumentService;
  readonly userProfileService: UserProfileService;
  /** The phase and where writes, shadow writes and reads go. */
  readonly routing: Routing;
  /** Shadow-write counters, or null when the phase has no shadow. */
  shadowStats(): ShadowStats | null;
  /** Primary write and read latency (ms), phase-5 read fallbacks, shadow statistics. */
  stats(): {
    phase: Routing['phase'];
    primary: { backend: Routing['primary']; writeLatencyMs: ReturnType<RoutedStore['primaryLatency']['summary']> };
    reads: { backend: Routing['reads']; latencyMs: ReturnType<RoutedStore['readLatency']['summary']>; fallbacks: number };
    shadow: ShadowStats | null;
    /** Compared reads ({@link Database.comparedReads}); null when off. */
    comparedReads: ComparedReadsSnapshot | null;
    /**
     * PostgreSQL pool usage (size, connections in use, calls waiting; see `PgPoolStats`): `main` is
     * this database's pool (primary, reads, compared reads, inline shadow writes), null when the
     * phase opens no PostgreSQL; `shadow` is the shadow worker's own pool, null inline or with the
     * shadow on LibSQL.
     */
    pools: { main: PgPoolStats | null; shadow: PgPoolStats | null };
  };
  /**
   * Compared reads (routing/compare-reads.ts): the sampling rate, both backends, and per call
   * (`get.<table>`, `find.<table>`, `count.<table>`, `searchMessages`) compared / matched /
   * mismatched / dropped (by reason) and consistency (matched / compared), since start and over
   * the last hour. Null in phases 1 and 6 (one backend) and with COMPARE_READS_RATE=0.
   */
  comparedReads(): ComparedReadsSnapshot | null;
  /**
   * Every latency sample since start, bucketed per operation (buckets: `LATENCY_BUCKETS_S`, seconds): primary
   * writes (`insert`, `update`, `delete`, `transaction`, `applyChanges`), reads (`get`, `find`, `count`,
   * `searchMessages`) and shadow batches (`apply`; null without a shadow). Read-only copies, for `/metrics`.
   */
  latencyHistograms(): { primary: LatencyHistogram; reads: LatencyHistogram; shadow: LatencyHistogram | null };
  /**
   * Tables of the primary missing or short of a column (the six tables and `row_tombstones`; one
   * `SELECT … WHERE 1 = 0` each, as start-up does with DB_AUTO_MIGRATE=false); [] when the schema is
   * complete. An unreachable primary lists every table: ping it first ({@link Database.health}).
   */
  missingSchema(): Promise<string[]>;
  /**
   * The shadow failure journal in the primary (routing/failure-journal.ts), read-only: its entries,
   * and per table and code (`SHADOW_WRITE_FAILED`, `SHADOW_TIMEOUT`, `SHADOW_QUEUE_FULL`,
   * `SHADOW_ABANDONED`). `{ size: 0, byTable: [] }` when the primary has no journal table.
   * @throws the primary's error when it cannot be read.
   */
  journalState(): Promise<{ size: number; byTable: Array<{ table: string; code: string; entries: number }> }>;
  /** Pings each open backend (never throws). */
  health(): Promise<{ sqlite: BackendHealth | null; postgres: BackendHealth | null }>;
  /**
   * Drains shadow writes (at most `opts.drainTimeoutMs`, default `config.shadow.drainTimeoutMs`),
   * writes what did not land to the failure journal (at most 2 s more), then closes every
   * connection. Resolves with what the drain left undone (logged as `shadow_drain_incomplete` when
   * > 0, each row by id as `shadow_write_abandoned`).
   */
  close(opts?: { drainTimeoutMs?: number }): Promise<{ drained: boolean; remaining: number }>;
  /** The backends themselves (tests, transfer tools). @internal */
  readonly backends: { readonly sqlite: SqlStore | null; readonly postgres: SqlStore | null; readonly pg: PgConnection | null; readonly shadow: ShadowSink | null };
}

/** Options of {@link createDatabase} beyond the environment's config. */
export interface CreateOptions {
  readonly logger?: Logger;
}

async function connectStep<T>(backend: string, url: string | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const d = describeError(e);
    throw new DatabaseError('DATABASE_UNREACHABLE', `${backend} at ${redactUrl(url) ?? '?'} is unreachable: ${redact(d.message)} (${d.code})`, { backend, cause: d.code }, { cause: e });
  }
}

/**
 * Opens the backends the phase needs, applies migrations (unless `autoMigrate` is false) and
 * wires the router. The phase comes from `config.flags` (docs/design.md table).
 *
 * @example
 * const db = await createDatabase(loadConfig());
 * const id = await db.messageService.saveHumanMessage({
 *   userId: 'u1', username: 'ada', channelId: 'c1', channelName: 'general', messageContent: 'hi', messageId: '1234567890123456789',
 * });
 * const [latest] = await db.messageService.queryMessages({ channelId: 'c1', limit: 1 }); // latest.id === id
 * await db.close();
 * @throws DatabaseError `UNSAFE_PHASE`, `DATABASE_URL_MISSING`, `DATABASE_UNREACHABLE` (one line, credentials redacted),
 *   `SCHEMA_MISSING` (autoMigrate off and a backend the phase uses lacks a table or column).
 */
export async function createDatabase(config: DatabaseConfig, options: CreateOptions = {}): Promise<Database> {
  const routing = derivePhase(config.flags);
  const log = options.logger ?? createLogger();
  const needsSqlite = routing.primary === 'sqlite' || routing.shadow === 'sqlite';
  if (routing.needsPostgres && !config.databaseUrl) {
    throw new DatabaseError('DATABASE_URL_MISSING', `phase ${routing.phase} needs PostgreSQL: set DATABASE_URL`, { variable: 'DATABASE_URL' });
  }

  let sqlite: SqlStore | null = null;
  let sqliteConn: Awaited<ReturnType<typeof openSqlite>> | null = null;
  let pg: PgConnection | null = null;
  let postgresStore: SqlStore | null = null;
  try {
    if (needsSqlite) {
      const conn = await connectStep('LibSQL', config.libsqlUrl, async () => {
        if (config.autoMigrate) await migrateSqlite(config.libsqlUrl, config.libsqlAuthToken);
        const c = await openSqlite({ url: config.libsqlUrl, authToken: config.libsqlAuthToken });
        await c.query('SELECT 1', []);
        return c;
      });
      sqliteConn = conn;
      sqlite = new SqlStore(conn, sqliteDialect, undefined, log);
      if (!config.autoMigrate) await assertSchema(conn, 'LibSQL', 'sqlite');
    }
    if (routing.needsPostgres) {
      const url = config.databaseUrl!;
      pg = await connectStep('PostgreSQL', url, async () => {
        if (config.autoMigrate) await migratePostgres(url);
        const c = new PgConnection({ url, max: config.pgPoolSize, statementTimeoutMs: pgTimeoutsFromEnv().statementTimeoutMs });
        try {
          await c.query('SELECT 1', []);
        } catch (e) {
          await c.close().catch(() => {});
          throw e;
        }
        return c;
      });
      postgresStore = new SqlStore(pg, pgDialect, undefined, log);
      if (!config.autoMigrate) await assertSchema(pg, 'PostgreSQL', 'postgres');
    }
  } catch (e) {
    await sqlite?.close().catch(() => {});
    await pg?.close().catch(() => {});
    throw e;
  }

  const byName = { sqlite, postgres: postgresStore };
  const primary = byName[routing.primary]!;
  const reads = byName[routing.reads]!;
  let queue: ShadowSink | null = null;
  // Rows that do not reach the shadow are journaled in the primary (routing/failure-journal.ts).
  const journal = routing.shadow
    ? new FailureJournal({ backend: routing.primary, url: routing.primary === 'sqlite' ? config.libsqlUrl : config.databaseUrl!, authToken: config.libsqlAuthToken }, log)
    : null;
  if (routing.shadow && config.shadow.mode === 'inline') {
    queue = new ShadowQueue(byName[routing.shadow]!, config.shadow, log, routing.phase, (entries) => journal?.append(entries));
  } else if (routing.shadow) {
    const target =
      routing.shadow === 'sqlite'
        ? { backend: 'sqlite' as const, url: config.libsqlUrl, authToken: config.libsqlAuthToken }
        : {
            backend: 'postgres' as const,
            url: config.databaseUrl!,
            poolSize: Math.max(2, config.shadow.concurrency),
            applicationName: 'repo-database-shadow',
            // The shadow is not the source of truth: a commit need not wait for the disk. A crash
            // of PostgreSQL loses at most its last ~0.6 s of shadow commits, which verify finds and
            // reconcile repairs, as for any shadow write lost while PostgreSQL is down.
            synchronousCommit: 'off' as const,
          };
    queue = await WorkerShadow.start(target, config.shadow, log, routing.phase, journal);
  }
  // Compared reads: the read backend's answers against the other backend's (phases 4, 5, 6+).
  const compareSettings = config.compareReads ?? { rate: DEFAULT_COMPARE_READS_RATE, concurrency: DEFAULT_COMPARE_READS_CONCURRENCY, timeoutMs: DEFAULT_COMPARE_READS_TIMEOUT_MS };
  const otherBackend = routing.shadow === null ? null : routing.reads === routing.primary ? routing.shadow : routing.primary;
  const comparer =
    otherBackend && compareSettings.rate > 0
      ? new ReadComparer({
          stores: { served: reads, servedBackend: routing.reads, other: byName[otherBackend]!, otherBackend, primary, shadowStore: byName[routing.shadow!]!, shadow: queue },
          settings: compareSettings,
          logger: log,
          phase: routing.phase,
        })
      : null;
  const store = new RoutedStore({ primary, reads, shadow: queue, routing, logger: log, comparer });
  const ctx = { store, log };
  log.info(
    { event: 'database_ready', phase: routing.phase, primary: routing.primary, shadow: routing.shadow, reads: routing.reads, libsqlUrl: needsSqlite ? redactUrl(config.libsqlUrl) : undefined, postgres: pg ? redactUrl(config.databaseUrl) : undefined },
    `phase ${routing.phase}: ${routing.description}`,
  );

  let closed: Promise<{ drained: boolean; remaining: number }> | null = null;
  const ping = async (s: SqlStore | null): Promise<BackendHealth | null> => {
    if (!s) return null;
    const t0 = performance.now();
    try {
      await Promise.race([s.ping(), new Promise((_, rej) => setTimeout(() => rej(new Error('no answer within 2000 ms')), 2000).unref())]);
      return { ok: true, latencyMs: Math.round((performance.now() - t0) * 1000) / 1000, error: null };
    } catch (e) {
      return { ok: false, latencyMs: null, error: redact(describeError(e).message) };
    }
  };

  return {
    messageService: new MessageService(ctx),
    queryService: new QueryService(ctx),
    documentService: new DocumentService(ctx),
    userProfileService: new UserProfileService(ctx),
    routing,
    backends: { sqlite, postgres: postgresStore, pg, shadow: queue },
    shadowStats: () => queue?.stats() ?? null,
    stats: () => ({
      phase: routing.phase,
      primary: { backend: routing.primary, writeLatencyMs: store.primaryLatency.summary() },
      reads: { backend: routing.reads, latencyMs: store.readLatency.summary(), fallbacks: store.readFallbacks },
      shadow: queue?.stats() ?? null,
      comparedReads: comparer?.snapshot() ?? null,
      pools: { main: pg?.poolStats() ?? null, shadow: queue?.stats().pool ?? null },
    }),
    comparedReads: () => comparer?.snapshot() ?? null,
    latencyHistograms: () => ({ primary: store.primaryLatency.histogram(), reads: store.readLatency.histogram(), shadow: queue ? (queue.stats().latencyHistogram ?? {}) : null }),
    missingSchema: async () => {
      const conn = routing.primary === 'sqlite' ? sqliteConn : pg;
      if (!conn) return [];
      try {
        await assertSchema(conn, routing.primary === 'sqlite' ? 'LibSQL' : 'PostgreSQL', routing.primary);
        return [];
      } catch (e) {
        const missing = (e as DatabaseError).details?.missing;
        return Array.isArray(missing) ? (missing as string[]) : ['(schema check failed)'];
      }
    },
    journalState: async () => {
      const conn = routing.primary === 'sqlite' ? sqliteConn : pg;
      if (!conn) return { size: 0, byTable: [] };
      const jsql = journalSqlOf(routing.primary, conn);
      if (!(await journalExists(jsql))) return { size: 0, byTable: [] };
      const rows = await jsql.query(`SELECT table_name, code, count(*) AS n FROM ${JOURNAL_TABLE} GROUP BY table_name, code ORDER BY table_name, code`, []);
      const byTable = rows.map((r) => ({ table: String(r.table_name), code: String(r.code), entries: Number(r.n) }));
      return { size: byTable.reduce((n, r) => n + r.entries, 0), byTable };
    },
    health: async () => ({ sqlite: await ping(sqlite), postgres: await ping(postgresStore) }),
    close(opts = {}) {
      closed ??= (async () => {
        // No new compared reads. Those in flight are not waited for: closing their backend makes
        // them fail, which is caught and counted as a drop (never thrown, never logged as a mismatch).
        await comparer?.close(0);
        const result = queue ? await queue.drain(opts.drainTimeoutMs ?? config.shadow.drainTimeoutMs) : { drained: true, remaining: 0 };
        await journal?.close(2_000);
        if (!result.drained) log.error({ event: 'shadow_drain_incomplete', remaining: result.remaining, stats: queue?.stats() }, 'closing with shadow writes not done');
        else if (queue) log.info({ event: 'shadow_drained', stats: queue.stats() }, 'shadow writes drained');
        // A drain that gave up means the shadow is stalled: do not wait for its queries again.
        await Promise.allSettled([sqlite?.close(), result.drained ? postgresStore?.close() : pg?.close({ timeoutS: 0 })]);
        return result;
      })();
      return closed;
    },
  };
}
