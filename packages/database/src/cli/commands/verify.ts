import cliProgress from 'cli-progress';
import { assertAdopted } from '../../adopt/guard.js';
import { InvalidArgumentError } from 'commander';
import type { Routing } from '../../config/phase.js';
import { redactUrl } from '../../logger.js';
import { summarize } from '../../transfer/verify-report.js';
import { DEFAULT_CHUNK_SIZE, DEFAULT_RECHECK_DELAY_MS, verifyTables, type DriftEntry, type RejectedEntry, type VerifyOptions, type VerifyProgress, type VerifyResult } from '../../transfer/verify.js';
import { requirePostgresUrl, type CliContext } from '../context.js';
import { commandExitCodes, ExitCode } from '../exit-codes.js';
import type { CommandModule } from './index.js';
import { driftHint } from './verify-hint.js';

/** Options shared by verify, reconcile and gate. */
export interface VerifyCliOptions {
  readonly table: string[];
  readonly chunkSize: number;
  readonly recheckDelayMs: number;
  readonly show: number;
  readonly dataDir: string;
  readonly threads: boolean;
}

const nonNegativeInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`must be a whole number ≥ 0, got ${JSON.stringify(value)}`);
  return n;
};
const positive = (value: string): number => {
  const n = nonNegativeInt(value);
  if (n === 0) throw new InvalidArgumentError('must be at least 1');
  return n;
};
const collect = (value: string, previous: string[]): string[] => [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];

/** Adds verify's options to a command (verify, reconcile, gate). @internal */
export function withVerifyOptions<T extends { option: (...a: any[]) => T }>(cmd: T): T {
  return cmd
    .option('--table <name>', 'only this table (repeat or comma-separate for several; default all six)', collect, [])
    .option('--chunk-size <rows>', 'at most this many rows per key-ordered chunk on each side (chunks are also cut at about 512 KiB)', positive, DEFAULT_CHUNK_SIZE)
    .option('--recheck-delay-ms <ms>', 'wait this long, then read mismatches again before calling them drift (writes in flight)', nonNegativeInt, DEFAULT_RECHECK_DELAY_MS)
    .option('--show <n>', 'drifted rows printed on screen (all go to the report file)', nonNegativeInt, 20)
    .option('--data-dir <dir>', 'folder for verify/<timestamp>.ndjson and last-verify.json', 'migration-data')
    .option('--no-threads', 'read LibSQL in this thread instead of a worker thread (slower; for debugging)')
    .option('--libsql-url <url>', 'the LibSQL database (default: LIBSQL_URL; LIBSQL_AUTH_TOKEN is then not sent)')
    .option('--database-url <url>', 'the PostgreSQL database (default: DATABASE_URL)');
}

/** The verify options of a command's parsed flags and the context. @internal */
export function verifyOptionsOf(ctx: CliContext, o: VerifyCliOptions): VerifyOptions & { threads: boolean } {
  return {
    libsqlUrl: ctx.config.libsqlUrl,
    libsqlAuthToken: ctx.config.libsqlAuthToken,
    databaseUrl: requirePostgresUrl(ctx),
    tables: o.table as VerifyOptions['tables'],
    chunkSize: o.chunkSize,
    recheckDelayMs: o.recheckDelayMs,
    sampleSize: o.show,
    dataDir: o.dataDir,
    threads: o.threads,
  };
}

/**
 * A cli-progress bar per table for verify's key-ordered pass (on stderr), drawn only when stdout
 * is a terminal and --json is off. @internal
 */
export function verifyProgress(ctx: CliContext): { onProgress: (p: VerifyProgress) => void; onRecheck: (n: number, ms: number) => void; stop: () => void } {
  if (!ctx.interactive) {
    return { onProgress: () => {}, onRecheck: (n, ms) => ctx.warn(`re-checking ${n} mismatched rows in ${ms} ms (writes in flight)…`), stop: () => {} };
  }
  const bar = new cliProgress.SingleBar(
    { format: 'verify {table} [{bar}] {percentage}% | {value}/{total} rows | {rate} rows/s | ETA {eta_formatted}', hideCursor: true, etaBuffer: 20 },
    cliProgress.Presets.shades_classic,
  );
  let table: string | null = null;
  let t0 = 0;
  const stop = () => {
    if (table !== null) bar.stop();
    table = null;
  };
  return {
    onProgress(p) {
      if (p.table !== table) {
        stop();
        table = p.table;
        t0 = performance.now();
        bar.start(Math.max(p.total, 1), p.done, { table: p.table.padEnd(22), rate: 0 });
        return;
      }
      const s = (performance.now() - t0) / 1000;
      bar.setTotal(Math.max(p.total, p.done, 1));
      bar.update(p.done, { rate: s > 0 ? Math.round(p.done / s) : 0 });
    },
    onRecheck(n, ms) {
      stop();
      ctx.warn(`re-checking ${n} mismatched rows in ${ms} ms (writes in flight)…`);
    },
    stop,
  };
}

const num = (n: number) => n.toLocaleString('en-US');

/** One drift entry as a screen line. @internal */
export function driftLine(e: DriftEntry): string {
  const side = (s: DriftEntry['sqlite']) =>
    s.checksum ? `v${s.version ?? '?'} ${s.checksum.slice(0, 12)}` : s.tombstoneVersion !== null ? `deleted (tombstone v${s.tombstoneVersion})` : 'absent';
  const cols = e.columns.length ? `  columns: ${e.columns.join(', ')}` : '';
  return `  ${e.table} ${e.id}  ${e.kind.padEnd(19)}  sqlite: ${side(e.sqlite)}  postgres: ${side(e.postgres)}${cols}`;
}

/** One rejected row as a screen line. @internal */
export function rejectedLine(e: RejectedEntry): string {
  const pg = e.postgres.checksum ? `postgres holds v${e.postgres.version ?? '?'}` : 'not in postgres';
  return `  ${e.table} ${e.id}  ${e.column ?? '(row)'}: ${e.reason}${e.value !== null ? `  value ${e.value}` : ''}  (${pg})`;
}

/**
 * The per-table table and the verdict, as printed by verify (and reconcile's first step). With
 * `routing` (the shell's phase), the advice after drift fits the phase ({@link driftHint}). @internal
 */
export function formatVerify(r: VerifyResult, routing?: Pick<Routing, 'phase' | 'primary'>): string {
  // The rejected column only when LibSQL holds rows import rejects (after an import with rejects).
  const withRejected = r.rejected > 0;
  const head = ['table', 'sqlite', 'postgres', 'matched', 'missing in pg', 'missing in sqlite', 'different', 'resolved', ...(withRejected ? ['rejected'] : [])];
  const rows = r.tables.map((t) => [
    t.table,
    num(t.sqliteRows),
    num(t.postgresRows),
    num(t.matched),
    num(t.missingInPostgres),
    num(t.missingInSqlite),
    num(t.different),
    num(t.resolvedOnRecheck),
    ...(withRejected ? [num(t.rejected)] : []),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [line(head), ...rows.map(line), ''];
  out.push(`${num(r.rows)} rows compared in ${(r.durationMs / 1000).toFixed(1)} s (${num(r.rowsPerSecond)} rows/s); ${num(r.drift)} drifted rows.`);
  if (r.drift === 0) out.push('OK: no drift.');
  else {
    out.push(`DRIFT: ${num(r.drift)} rows differ${r.sample.length < r.drift ? ` (first ${r.sample.length} below)` : ''}; every one is in ${r.reportFile ?? '(no report file)'}.`);
    for (const e of r.sample) out.push(driftLine(e));
    out.push(routing ? driftHint(r, routing) : 'Repair with `pnpm db reconcile --from <primary>` (sqlite in phases 4–5, postgres in 6/6+), then verify again.');
  }
  if (r.rejected > 0) {
    out.push(
      `REJECTED: ${num(r.rejected)} LibSQL rows cannot go to PostgreSQL (import/copy reject them; not drift, reconcile does not copy them)` +
        `${r.rejectedSample.length < r.rejected ? ` (first ${r.rejectedSample.length} below)` : ''}; every one is in ${r.reportFile ?? '(no report file)'}.`,
    );
    for (const e of r.rejectedSample) out.push(rejectedLine(e));
    out.push('Repair them in LibSQL (`pnpm db check` lists them) and copy again, or accept that PostgreSQL will not have them.');
  }
  return out.join('\n');
}

/** `db verify`: row-by-row comparison of both backends; exit 0 at zero drift and no rejected row, 4 on drift, 5 when only rejected rows remain. */
export const verifyCommand: CommandModule = {
  register(program, run) {
    withVerifyOptions(
      program
        .command('verify')
        .description('compare every row on LibSQL and PostgreSQL (counts and per-row checksums of the canonical form); exit 4 on drift'),
    )
      .addHelpText(
        'after',
        '\nReads both sides in id order (keyset chunks, both at once) and merge-joins them; a row matches when its canonical JSON ' +
          '(normalizeRow: sorted JSON keys, text policy, exact integers) is identical. Mismatches are read again after ' +
          '--recheck-delay-ms, so a shadow write still in flight is not called drift. Deleted rows (tombstones) count as matching absence.\n' +
          'LibSQL rows are compared as import/copy write them (milliseconds in seconds columns → seconds, ms timestamps exactly, text booleans → booleans, the text policy…); ' +
          'LibSQL rows import/copy reject (invalid JSON, text that is not UTF-8, out of range, orphans) are reported as rejected, with the reason: not drift.\n' +
          'Writes every drifted and rejected row to <data-dir>/verify/<timestamp>.ndjson and a summary to <data-dir>/last-verify.json (shown by `db status`).' +
          commandExitCodes([
            [ExitCode.OK, 'no drift and no rejected row'],
            [ExitCode.DRIFT, 'drift'],
            [ExitCode.REJECTED_ROWS, 'no drift, but LibSQL holds rows import rejects'],
            [ExitCode.SCHEMA_MISSING, 'a table is missing on a backend: run `db migrate`'],
            [ExitCode.LEGACY_SCHEMA, "omega-bot's file, not adopted: run `db adopt` first"],
            [ExitCode.UNREACHABLE, 'a database is unreachable'],
            [ExitCode.USAGE, 'bad arguments or configuration (an unknown table, DATABASE_URL missing)'],
          ]),
      )
      .action((o: VerifyCliOptions) =>
        run(async (ctx) => {
          const opts = verifyOptionsOf(ctx, o);
          await assertAdopted(ctx.config.libsqlUrl, ctx.config.libsqlAuthToken, "`pnpm db verify`");
          ctx.say(`verify: LibSQL ${redactUrl(opts.libsqlUrl)} ↔ PostgreSQL ${redactUrl(opts.databaseUrl)}`);
          const bar = verifyProgress(ctx);
          let r: VerifyResult;
          try {
            r = await verifyTables({ ...opts, onProgress: bar.onProgress, onRecheck: bar.onRecheck, onWarning: ctx.warn });
          } finally {
            bar.stop();
          }
          ctx.say(formatVerify(r, ctx.config.routing));
          ctx.result({ ...summarize(r), sample: r.sample });
          return !r.ok ? ExitCode.DRIFT : r.rejected > 0 ? ExitCode.REJECTED_ROWS : ExitCode.OK;
        }),
      );
  },
};
