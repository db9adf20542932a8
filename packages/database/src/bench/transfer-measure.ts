import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { migratePostgres } from '../migrations/migrate.js';
import { redact } from '../logger.js';
import { tableNames } from '../schema/tables.js';
import { createTestPostgres } from '../testing/postgres.js';
import { RESULT_PREFIX, type ChildOp, type ChildResult } from './transfer-protocol.js';
import { watchDatabaseCpu } from './transfer-pgcpu.js';
import { measureCommand } from './transfer-process.js';
import { CLI_NODE_FLAGS } from '../cli/node-flags.js';

/** One measured operation. */
export interface OpMeasure {
  /** Wall clock of the process, spawn to exit, in seconds (what rows/s and MB/s divide by). */
  readonly seconds: number;
  /** Seconds of the operation inside the process (start-up excluded), when the process says. */
  readonly innerSeconds: number | null;
  /** Rows the operation handled (for loads: rows found in PostgreSQL after it). */
  readonly rows: number;
  /** Peak resident set size of the process, in MB (MiB). */
  readonly peakRssMb: number;
  /** User + system CPU seconds of the tool's process, or null when unknown. */
  readonly cpuSeconds: number | null;
  /** CPU seconds of the PostgreSQL backends serving the target database (see transfer-pgcpu.ts), or null. */
  readonly pgCpuSeconds: number | null;
  /** 1-minute load average of the machine when the operation started. */
  readonly loadAvg: number;
  readonly detail: Record<string, unknown>;
}

const CHILD = fileURLToPath(new URL('./transfer-child.js', import.meta.url));

/**
 * Runs one transfer operation in a child Node process (transfer-child.js) and measures it:
 * wall seconds from spawn to exit, peak RSS as the child reports it (`resourceUsage().maxRSS`).
 * @throws Error when the child fails (its stderr tail, redacted, in the message).
 */
export async function measureOp(op: ChildOp): Promise<OpMeasure> {
  const loadAvg = loadavg()[0]!;
  const pg = 'databaseUrl' in op ? watchDatabaseCpu(databaseName(op.databaseUrl)) : null;
  let pgCpuSeconds: number | null = null;
  let m: Awaited<ReturnType<typeof measureCommand>>;
  try {
    m = await measureCommand(process.execPath, [...CLI_NODE_FLAGS, CHILD, JSON.stringify(op)]);
  } finally {
    pgCpuSeconds = pg?.stop() ?? null;
  }
  const line = m.stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
  if (m.exitCode !== 0 || !line) throw new Error(`${op.op} failed (exit ${m.exitCode}): ${redact((m.stderr || m.stdout).slice(-2000))}`);
  const r = JSON.parse(line.slice(RESULT_PREFIX.length)) as ChildResult;
  return { seconds: m.seconds, innerSeconds: r.innerSeconds, rows: r.rows, peakRssMb: r.maxRssMb, cpuSeconds: r.cpuSeconds, pgCpuSeconds, loadAvg, detail: r.detail };
}

/** The database name of a PostgreSQL URL. */
export const databaseName = (url: string): string => decodeURIComponent(new URL(url).pathname.slice(1));

/** Rows of the six tables in a PostgreSQL database (exact `count(*)`). */
export async function countPgRows(url: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    let n = 0;
    for (const t of tableNames) n += Number((await sql.unsafe(`SELECT count(*)::bigint AS n FROM "${t}"`))[0]!.n);
    return n;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** A fresh PostgreSQL database with the product's migrations applied, checkpointed so earlier loads' dirty pages do not land on the next measurement. */
export async function freshTarget(prefix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const db = await createTestPostgres(prefix);
  await migratePostgres(db.url);
  await checkpoint(db.url);
  return db;
}

/** `CHECKPOINT` (needs superuser or pg_checkpoint; skipped silently when refused). */
export async function checkpoint(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`CHECKPOINT`.catch(() => {});
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** `server_version` of a PostgreSQL, e.g. "15.20 (Debian 15.20-0+deb12u1)". */
export async function serverVersion(url: string): Promise<string> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return String((await sql`SHOW server_version`)[0]!.server_version);
  } finally {
    await sql.end({ timeout: 5 });
  }
}
