import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { redact } from '../logger.js';
import { measureCommand, type ProcessMeasure } from './transfer-process.js';

/** Whether the pgloader baseline can run, and why not when it cannot. */
export type PgloaderAvailability = { ok: true; version: string } | { ok: false; reason: string };

const PGLOADER = '/usr/bin/pgloader';
/**
 * SBCL heap for pgloader, in MB. Debian's build defaults to 1 GB, and at 1M messages pgloader
 * dies with "Heap exhausted, game over" (a long-known pgloader issue); 4 GB lets it finish.
 * `BENCH_PGLOADER_HEAP_MB` overrides it (1024 reproduces the failure).
 */
const HEAP_MB = Number(process.env.BENCH_PGLOADER_HEAP_MB ?? 4096);

function version(): string | null {
  const r = spawnSync(PGLOADER, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? (r.stdout.split('\n')[0] ?? '').replace(/^pgloader version /, '').replace(/"/g, '') : null;
}

/**
 * Makes Debian's `pgloader` available for the baseline (it is not a dependency of the product):
 * when missing and running as root, `apt-get update && apt-get install -y pgloader`. Never throws;
 * says why when the baseline is unavailable (not root, no network to the Debian mirror, …).
 */
export function ensurePgloader(log: (line: string) => void): PgloaderAvailability {
  const have = existsSync(PGLOADER) ? version() : null;
  if (have) return { ok: true, version: have };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'pgloader is not installed and the benchmark is not running as root to apt-get it' };
  log('installing Debian package pgloader (baseline only) …');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', 'pgloader']]) {
    const r = spawnSync('apt-get', args, { encoding: 'utf8', env });
    if (r.status !== 0) return { ok: false, reason: `apt-get ${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim().slice(-300)}` };
  }
  const v = existsSync(PGLOADER) ? version() : null;
  return v ? { ok: true, version: v } : { ok: false, reason: 'apt-get install pgloader succeeded but pgloader --version does not run' };
}

/**
 * The pgloader load command used as the baseline: data only, into the schema our migrations
 * created (so both tools write the same tables, indexes, generated tsvector and GIN indexes),
 * excluding the FTS5 shadow tables and drizzle's bookkeeping; pgloader's defaults otherwise
 * (it drops and re-creates the foreign key around the load, and COPYs with its own workers).
 */
export function loadCommand(sqlitePath: string, databaseUrl: string): string {
  const target = new URL(databaseUrl);
  target.protocol = 'postgresql:';
  return [
    'LOAD DATABASE',
    `  FROM sqlite://${sqlitePath}`,
    `  INTO ${target.toString()}`,
    '  WITH data only',
    "  EXCLUDING TABLE NAMES LIKE 'messages_fts%', '__drizzle_migrations';",
    '',
  ].join('\n');
}

/** One pgloader run: wall time from process start to exit, peak RSS, rows it reported loading. */
export interface PgloaderRun extends ProcessMeasure {
  /** Rows pgloader's summary says it imported ("Total import time" line), or null if unparsed. */
  readonly reportedRows: number | null;
  /** Rows with errors in pgloader's summary. */
  readonly errors: number | null;
}

/**
 * Runs pgloader (`--dynamic-space-size 4096`) on `sqlitePath` into `databaseUrl` (migrated, empty) and measures it.
 * The load command file is written in `workDir` and removed after.
 * @throws Error when pgloader exits non-zero (its output tail, redacted, in the message).
 */
export async function runPgloader(sqlitePath: string, databaseUrl: string, workDir: string): Promise<PgloaderRun> {
  const cmdFile = join(workDir, `pgloader-${process.pid}.load`);
  writeFileSync(cmdFile, loadCommand(sqlitePath, databaseUrl));
  try {
    const m = await measureCommand(PGLOADER, ['--dynamic-space-size', String(HEAP_MB), cmdFile]);
    const out = m.stdout + m.stderr;
    if (m.exitCode !== 0) throw new Error(`pgloader exited with ${m.exitCode}: ${redact(out.slice(-1500))}`);
    return { ...m, ...parseSummary(out) };
  } finally {
    rmSync(cmdFile, { force: true });
  }
}

/**
 * Reads pgloader's summary table (`table name  errors  rows  bytes  total time`): the rows of its
 * "Total import time" line, and the errors of every line summed.
 */
export function parseSummary(out: string): { reportedRows: number | null; errors: number | null } {
  let reportedRows: number | null = null;
  let errors: number | null = null;
  for (const line of out.split('\n')) {
    const total = /^\s*Total import time\s+(\S+)\s+(\d+)/.exec(line);
    if (total) {
      reportedRows = Number(total[2]);
      continue;
    }
    const row = /^\s*[A-Za-z_][\w .]*?\s{2,}(\d+)\s+\d+(\s|$)/.exec(line);
    if (row) errors = (errors ?? 0) + Number(row[1]);
  }
  return { reportedRows, errors };
}
