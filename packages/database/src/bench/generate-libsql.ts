import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Libsql from 'libsql';
import { migrateSqlite, migrationsFolder } from '../migrations/migrate.js';
import { tableNames, tables, type TableName } from '../schema/tables.js';
import { datasetCounts, rowBuilders } from './generate-rows.js';
import { loadTextSource, Rng } from './generate-text.js';

/** Bump when generated data changes shape, so cached files are rebuilt. */
const GENERATOR_VERSION = 3;
/** SQLite's bound-parameter limit is 32,766 (since 3.32); stay under it per statement. */
const MAX_PARAMS = 30_000;
const ROWS_PER_TRANSACTION = 50_000;

/** A generated LibSQL file and what it holds. */
export interface GeneratedDataSet {
  /** Absolute path of the LibSQL file, and its `file:` URL. */
  readonly path: string;
  readonly url: string;
  readonly counts: Record<TableName, number>;
  /** Rows of all six tables. */
  readonly totalRows: number;
  /** File size in bytes (after generation; WAL checkpointed). */
  readonly bytes: number;
  /** Where the text came from ('fortunes' or 'built-in'). */
  readonly textSource: string;
  /** Seconds the generation took (of the run that built the file, when it came from the cache). */
  readonly seconds: number;
  /** True when an earlier run's file was reused. */
  readonly cached: boolean;
}

/**
 * A LibSQL file with the real schema (the committed migrations, FTS5 table and triggers included)
 * and `messages` messages plus the other tables at realistic proportions ({@link datasetCounts}).
 * Files are cached in `dir` by size, generator version, text source and migration journal; a file
 * is reused only when its sidecar `.json` (written last) is there; files of the same size with another
 * key are deleted when a new one is generated. Deterministic for a given key.
 * Rows go in as multi-row INSERTs, 50k rows per transaction, with `synchronous = OFF`.
 */
export async function generateLibsqlFile(opts: { messages: number; dir: string; log?: (line: string) => void }): Promise<GeneratedDataSet> {
  const text = loadTextSource();
  const journal = readFileSync(join(migrationsFolder('sqlite'), 'meta', '_journal.json'));
  const key = createHash('sha256').update(`${GENERATOR_VERSION}:${text.source}:`).update(journal).digest('hex').slice(0, 10);
  mkdirSync(opts.dir, { recursive: true });
  const path = join(opts.dir, `libsql-${opts.messages}-${key}.db`);
  const sidecar = `${path}.json`;
  if (existsSync(path) && existsSync(sidecar)) return { ...(JSON.parse(readFileSync(sidecar, 'utf8')) as GeneratedDataSet), cached: true };

  // Files of this size from an older key (generator or migrations changed) are stale: ~1 GB each at 1M.
  const prefix = `libsql-${opts.messages}-`;
  for (const f of readdirSync(opts.dir)) if (f.startsWith(prefix) && /^[0-9a-f]{10}\.db/.test(f.slice(prefix.length))) rmSync(join(opts.dir, f), { force: true });
  const url = `file:${path}`;
  const t0 = performance.now();
  await migrateSqlite(url);
  const counts = datasetCounts(opts.messages);
  // The native driver (one connection, statements prepared once): @libsql/client's `transaction()`
  // grew the process by ~100 MB per transaction here (22 GB RSS at 10M messages before it was killed).
  const db = new Libsql(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -262144');
    const build = rowBuilders(opts.messages, new Rng(opts.messages), text);
    // The FTS5 index is built once after the load ('rebuild') rather than row by row by the trigger.
    const trigger = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'messages_fts_insert'").raw(true).get() as unknown[] | undefined;
    const triggerSql = trigger?.[0];
    if (typeof triggerSql === 'string') db.exec('DROP TRIGGER messages_fts_insert');
    for (const table of tableNames) {
      const t = performance.now();
      insertRows(db, table, counts[table], build[table]);
      opts.log?.(`  ${table}: ${counts[table]} rows in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    if (typeof triggerSql === 'string') {
      const t = performance.now();
      db.exec("INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')");
      db.exec(triggerSql);
      opts.log?.(`  messages_fts: rebuilt in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  const result: GeneratedDataSet = {
    path,
    url,
    counts,
    totalRows: Object.values(counts).reduce((a, b) => a + b, 0),
    bytes: statSync(path).size,
    textSource: text.source,
    seconds: (performance.now() - t0) / 1000,
    cached: false,
  };
  writeFileSync(sidecar, JSON.stringify(result, null, 2));
  return result;
}

function insertRows(db: Libsql.Database, table: TableName, count: number, build: (i: number) => unknown[]): void {
  const cols = tables[table].columns.map((c) => `"${c.name}"`);
  const perStatement = Math.max(1, Math.min(1_000, Math.floor(MAX_PARAMS / cols.length)));
  const tuple = `(${cols.map(() => '?').join(',')})`;
  const statement = (n: number) => db.prepare(`INSERT INTO "${table}" (${cols.join(',')}) VALUES ${Array(n).fill(tuple).join(',')}`);
  const full = statement(perStatement);
  const bind = (v: unknown) => (typeof v === 'boolean' ? (v ? 1 : 0) : v);
  for (let start = 0; start < count; start += ROWS_PER_TRANSACTION) {
    const end = Math.min(count, start + ROWS_PER_TRANSACTION);
    db.exec('BEGIN');
    try {
      for (let i = start; i < end; i += perStatement) {
        const n = Math.min(perStatement, end - i);
        const args: unknown[] = [];
        for (let k = 0; k < n; k++) for (const v of build(i + k)) args.push(bind(v));
        (n === perStatement ? full : statement(n)).run(args);
      }
      db.exec('COMMIT');
    } catch (e) {
      db.exec('ROLLBACK');
      throw e;
    }
  }
}
