import { createClient } from '@libsql/client';
import { createDatabase, createLogger, loadConfig, tableNames, type Database, type Logger, type TableName } from '@repo/database';
import { createTestPostgres, createTestSqlite } from '@repo/database/testing';
import postgres from 'postgres';
import { buildServer, type BotServer } from '../src/server.js';

/** A pino logger whose JSON lines are kept in memory (for asserting on events). */
export function memoryLogger(level = 'warn'): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const raw: string[] = [];
  const logger = createLogger({ name: 'bot', level, destination: { write: (s: string) => void raw.push(s) } });
  return { logger, lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** A temp LibSQL file and, when asked, a fresh PostgreSQL database; `cleanup()` removes both. */
export async function testBackends(withPostgres: boolean) {
  const sqlite = createTestSqlite('bot.db');
  const pg = withPostgres ? await createTestPostgres('bot') : null;
  return {
    sqlite,
    pg,
    async cleanup() {
      await pg?.drop();
      sqlite.remove();
    },
  };
}

/** The environment of a phase: 1 (LibSQL only) or 4 (shadow writes to PostgreSQL). */
export function phaseEnv(libsqlUrl: string, pgUrl?: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    LIBSQL_URL: libsqlUrl,
    ...(pgUrl ? { DATABASE_URL: pgUrl, USE_POSTGRES_SHADOW: 'true' } : {}),
    SHADOW_TIMEOUT_MS: '5000',
    SHADOW_DRAIN_TIMEOUT_MS: '5000',
    ...extra,
  };
}

/** createDatabase + buildServer, in-process (use `app.inject`). */
export async function openApp(env: Record<string, string>, logger: Logger): Promise<{ db: Database; app: BotServer }> {
  const config = loadConfig(env);
  const db = await createDatabase(config, { logger });
  const app = buildServer({ db, logger, flags: config.flags });
  await app.ready();
  return { db, app };
}

/** Row counts per table, read straight from the LibSQL file (a separate connection). */
export async function sqliteCounts(url: string): Promise<Record<TableName, number>> {
  const c = createClient({ url });
  try {
    const out = {} as Record<TableName, number>;
    for (const t of tableNames) out[t] = Number((await c.execute(`SELECT count(*) AS n FROM "${t}"`)).rows[0]!.n);
    return out;
  } finally {
    c.close();
  }
}

/** Rows of one read-only query, straight from the LibSQL file (a separate connection). */
export async function sqliteRows(url: string, sql: string, args: Array<string | number> = []): Promise<Array<Record<string, unknown>>> {
  const c = createClient({ url });
  try {
    return (await c.execute({ sql, args })).rows.map((r) => ({ ...r }) as Record<string, unknown>);
  } finally {
    c.close();
  }
}

/** Row counts per table, read straight from PostgreSQL (a separate connection). */
export async function postgresCounts(url: string): Promise<Record<TableName, number>> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const out = {} as Record<TableName, number>;
    for (const t of tableNames) out[t] = Number((await sql.unsafe(`SELECT count(*)::int AS n FROM "${t}"`))[0]!.n);
    return out;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** Delete tombstones of both backends as sorted `table/id@version` lines (separate connections). */
export async function tombstones(sqliteUrl: string, pgUrl: string): Promise<{ sqlite: string[]; postgres: string[] }> {
  const query = 'SELECT table_name, id, version FROM row_tombstones';
  const line = (r: Record<string, unknown>) => `${String(r.table_name)}/${String(r.id)}@${String(r.version)}`;
  const c = createClient({ url: sqliteUrl });
  const sql = postgres(pgUrl, { max: 1, onnotice: () => {} });
  try {
    const lite = (await c.execute(query)).rows.map((r) => line(r as Record<string, unknown>));
    const pg = (await sql.unsafe(query)).map(line);
    return { sqlite: lite.sort(), postgres: pg.sort() };
  } finally {
    c.close();
    await sql.end({ timeout: 1 });
  }
}

/** Ids of a table on PostgreSQL (a separate connection). */
export async function postgresIds(url: string, table: TableName): Promise<Set<string>> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return new Set((await sql.unsafe(`SELECT id FROM "${table}"`)).map((r) => String(r.id)));
  } finally {
    await sql.end({ timeout: 1 });
  }
}
