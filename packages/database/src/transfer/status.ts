import { detectLayout, type LayoutKind } from '../adopt/detect.js';
import { defaultLibsqlUrl, loadConfig } from '../config/env.js';
import type { Phase } from '../config/phase.js';
import { describeError, isDatabaseError } from '../errors.js';
import { isFlagSpelling } from '../config/flags.js';
import { redact, redactUrl } from '../logger.js';
import { journalSize } from '../routing/failure-journal.js';
import { tableNames, TOMBSTONES_TABLE, type TableName } from '../schema/tables.js';
import { existingTables, openPostgresSide, openSqliteSide, type Side } from './source/backend-pair.js';
import { migrationStatus, type BackendMigrationStatus } from './source/migration-status.js';
import { countRows } from './source/row-stream.js';
import { pendingIndexes, type PendingIndex } from './gate-checks.js';
import { DEFAULT_DATA_DIR, readLastVerify, type VerifySummary } from './verify-report.js';

/** The configuration as the app derives it from the environment (`loadConfig` + `derivePhase`). */
export interface ConfigStatus {
  /** False when the app would refuse to start with this environment (see `error`). */
  readonly ok: boolean;
  /** Why the app would refuse to start: a stable code (`INVALID_FLAG`, `UNSAFE_PHASE`, …) and the message. */
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly phase: Phase | null;
  readonly description: string | null;
  readonly primary: 'sqlite' | 'postgres' | null;
  readonly shadow: 'sqlite' | 'postgres' | null;
  readonly reads: 'sqlite' | 'postgres' | null;
  /** The three flags as set in the environment (raw text, null when unset). */
  readonly flags: Readonly<Record<'USE_POSTGRES_PRIMARY' | 'USE_POSTGRES_READ' | 'USE_POSTGRES_SHADOW', string | null>>;
  /** Connection strings with credentials removed. */
  readonly libsqlUrl: string;
  readonly databaseUrl: string | null;
}

/** One backend: reachability, migrations and row counts. */
export interface BackendStatus {
  readonly reachable: boolean;
  /** Round trip of `SELECT 1`, in ms. */
  readonly latencyMs: number | null;
  readonly error: string | null;
  /** Applied/pending migrations (`migrationStatus`), null when unreachable. */
  readonly migrations: BackendMigrationStatus | null;
  /** `count(*)` per table; a table that does not exist is null. Null when unreachable. */
  readonly counts: Readonly<Record<TableName, number | null>> | null;
  /** Rows of `row_tombstones` (deletes recorded), null when unknown. */
  readonly tombstones: number | null;
  /**
   * Entries of the shadow failure journal kept on this backend (rows that did not reach the
   * shadow while it was the primary; `pnpm db reconcile --journal` repairs them), null when unknown.
   */
  readonly journal?: number | null;
  /**
   * PostgreSQL only: indexes a bulk load dropped and did not build again yet (a killed copy or
   * import; the next copy, import or `db migrate --target postgres` builds them; gate fails
   * meanwhile). Null when unknown.
   */
  readonly deferredIndexes?: readonly PendingIndex[] | null;
  /**
   * LibSQL only: the file's layout as `db adopt` detects it (`legacy` true for omega-bot's layout
   * or the product's without journal, not adopted: LEGACY_SCHEMA, run `pnpm db adopt`). Null when unknown.
   */
  readonly layout?: { readonly kind: LayoutKind; readonly legacy: boolean; readonly omegaVersion: string | null; readonly description: string } | null;
}

/** Result of {@link collectStatus}. */
export interface StatusResult {
  readonly config: ConfigStatus;
  readonly sqlite: BackendStatus;
  /** Null when DATABASE_URL is not set. */
  readonly postgres: BackendStatus | null;
  /** The last verify's summary (`<dataDir>/last-verify.json`), or null when verify never ran there. */
  readonly lastVerify: VerifySummary | null;
}

/** Options of {@link collectStatus}. */
export interface StatusOptions {
  /** Environment to read (default `process.env`). */
  readonly env?: Record<string, string | undefined>;
  /** Folder of `last-verify.json`. Default `migration-data`. */
  readonly dataDir?: string;
}

const FLAGS = ['USE_POSTGRES_PRIMARY', 'USE_POSTGRES_READ', 'USE_POSTGRES_SHADOW'] as const;

/** The app's configuration, with the error it would stop on instead of throwing it. */
export function configStatus(env: Record<string, string | undefined>): ConfigStatus {
  // A value that is no flag spelling is not shown: it may be a secret pasted into the wrong variable.
  const flags = Object.fromEntries(FLAGS.map((f) => [f, env[f] === undefined ? null : isFlagSpelling(env[f]) ? env[f] : '(not a flag value)'])) as ConfigStatus['flags'];
  const fallback = { libsqlUrl: redactUrl(env.LIBSQL_URL?.trim() || defaultLibsqlUrl())!, databaseUrl: redactUrl(env.DATABASE_URL?.trim() || undefined) ?? null };
  try {
    const c = loadConfig(env);
    const r = c.routing;
    return { ok: true, error: null, phase: r.phase, description: r.description, primary: r.primary, shadow: r.shadow, reads: r.reads, flags, libsqlUrl: redactUrl(c.libsqlUrl)!, databaseUrl: redactUrl(c.databaseUrl) ?? null };
  } catch (e) {
    const error = isDatabaseError(e) ? { code: e.code, message: redact(e.message) } : { code: 'UNKNOWN', message: redact(describeError(e).message) };
    return { ok: false, error, phase: null, description: null, primary: null, shadow: null, reads: null, flags, ...fallback };
  }
}

/** The URLs the tools use: the app's variables, whatever the flags say. */
export function backendUrls(env: Record<string, string | undefined>): { libsqlUrl: string; libsqlAuthToken?: string | undefined; databaseUrl?: string | undefined } {
  return {
    libsqlUrl: env.LIBSQL_URL?.trim() || defaultLibsqlUrl(),
    libsqlAuthToken: env.LIBSQL_AUTH_TOKEN?.trim() || undefined,
    databaseUrl: env.DATABASE_URL?.trim() || undefined,
  };
}

async function backendStatus(open: () => Promise<Side>, migrations: Promise<BackendMigrationStatus | undefined>): Promise<BackendStatus> {
  let side: Side | null = null;
  try {
    const t0 = performance.now();
    side = await open();
    const latencyMs = Math.round((performance.now() - t0) * 1000) / 1000;
    const have = await existingTables(side);
    const counts = {} as Record<TableName, number | null>;
    for (const t of tableNames) counts[t] = have.has(t) ? await countRows(side, t) : null;
    const tomb = have.has(TOMBSTONES_TABLE) ? Number((await side.query(`SELECT count(*) AS n FROM ${TOMBSTONES_TABLE}`, []))[0]?.n ?? 0) : null;
    const journal = await journalSize({ backend: side.name, query: (sql, params) => side!.query(sql, params) }).catch(() => null);
    const deferredIndexes = side.name === 'postgres' ? await pendingIndexes(side).catch(() => null) : undefined;
    return { reachable: true, latencyMs, error: null, migrations: (await migrations) ?? null, counts, tombstones: tomb, journal, ...(deferredIndexes !== undefined ? { deferredIndexes } : {}) };
  } catch (e) {
    await migrations.catch(() => {});
    return { reachable: false, latencyMs: null, error: redact(describeError(e).message), migrations: null, counts: null, tombstones: null };
  } finally {
    await side?.store.close().catch(() => {});
  }
}

/**
 * Everything `db status` shows: the phase and flags as the app derives them (a flag error is
 * reported, not thrown), each backend's reachability (open + `SELECT 1`, in ms), applied and
 * pending migrations, per-table row counts, and the last verify result. Never throws for an
 * unreachable backend or a bad configuration: those are fields of the result.
 */
export async function collectStatus(opts: StatusOptions = {}): Promise<StatusResult> {
  const env = opts.env ?? process.env;
  const config = configStatus(env);
  const urls = backendUrls(env);
  const migrations = migrationStatus(urls);
  migrations.catch(() => {});
  const layout = detectLayout(urls.libsqlUrl, urls.libsqlAuthToken).then(
    (l) => ({ kind: l.kind, legacy: l.kind === 'omega-v3' || l.kind === 'omega-older' || l.kind === 'project-unstamped', omegaVersion: l.omegaVersion, description: l.description }),
    () => null,
  );
  const [sqlite, postgres] = await Promise.all([
    backendStatus(() => openSqliteSide(urls), migrations.then((m) => m.sqlite)).then(async (b) => ({ ...b, layout: await layout })),
    urls.databaseUrl ? backendStatus(() => openPostgresSide(urls.databaseUrl!, 2), migrations.then((m) => m.postgres)) : Promise.resolve(null),
  ]);
  return { config, sqlite, postgres, lastVerify: readLastVerify(opts.dataDir ?? DEFAULT_DATA_DIR) };
}
