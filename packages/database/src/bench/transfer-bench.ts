import { createReadStream, mkdirSync, rmSync, statfsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { generateLibsqlFile, type GeneratedDataSet } from './generate-libsql.js';
import { countPgRows, databaseName, freshTarget, measureOp, type OpMeasure } from './transfer-measure.js';
import { watchDatabaseCpu } from './transfer-pgcpu.js';
import { ensurePgloader, runPgloader, type PgloaderAvailability } from './transfer-pgloader.js';

/** Every figure of one data set size. */
export interface SizeResult {
  readonly messages: number;
  readonly dataset: GeneratedDataSet;
  /** null when the baseline is unavailable (see {@link TransferBenchResult.pgloader}) or failed at this size. */
  readonly pgloader: (OpMeasure & { reportedRows: number | null; errors: number | null }) | null;
  /** Why pgloader gave no figure at this size (it failed, or loaded a different row count), else null. */
  readonly pgloaderFailure: string | null;
  /** Why pgloader was not run at this size (above {@link TransferBenchOptions.pgloaderMaxMessages}), else null. */
  readonly pgloaderSkipped: string | null;
  readonly copy: OpMeasure;
  readonly export: OpMeasure;
  readonly import: OpMeasure;
  readonly verify: OpMeasure;
}

/** Result of {@link benchTransfer}. */
export interface TransferBenchResult {
  readonly pgloader: PgloaderAvailability;
  readonly sizes: SizeResult[];
}

/** Options of {@link benchTransfer}. */
export interface TransferBenchOptions {
  /** Message counts of the data sets, e.g. [100_000, 1_000_000]. */
  readonly sizes: readonly number[];
  /** Folder of cached data sets, export folders and rejects (`bench-results/transfer-data`). */
  readonly workDir: string;
  /** Rounds per size; each figure is the median round (by seconds). Default 1. */
  readonly rounds?: number;
  /**
   * pgloader (the baseline) runs only at sizes up to this many messages; above, it is reported as
   * not run. Default {@link DEFAULT_PGLOADER_MAX_MESSAGES} (`BENCH_PGLOADER_MAX_MESSAGES` in transfer-run.ts).
   */
  readonly pgloaderMaxMessages?: number;
  readonly log: (line: string) => void;
}

/**
 * Largest size (messages) pgloader runs at by default: at 10M it takes ~20 min and an SBCL heap
 * far beyond its 4 GB (issue 15 asks only copy, export + import and verify there).
 */
export const DEFAULT_PGLOADER_MAX_MESSAGES = 1_000_000;

/** Free bytes of the file system holding `path` (statfs: blocks available to unprivileged users). */
export function freeBytes(path: string): number {
  const s = statfsSync(path);
  return s.bavail * s.bsize;
}

/** `disk free: 61.2 GB (bench-results/transfer-data)`: logged before each step (a 10M export writes 10+ GB, a 10M copy ~20 GB of PostgreSQL). */
export function diskLine(path: string): string {
  let free: string;
  try {
    free = `${(freeBytes(path) / 1e9).toFixed(1)} GB`;
  } catch (e) {
    free = `unknown (${e instanceof Error ? e.message : String(e)})`;
  }
  return `disk free: ${free} (${path})`;
}

/** Why pgloader is not run at `messages`, or null when it is. */
export function pgloaderSkipReason(messages: number, max: number): string | null {
  return messages > max ? `not run (above ${max.toLocaleString('en-US')} messages: BENCH_PGLOADER_MAX_MESSAGES)` : null;
}

const median = (ms: OpMeasure[]): OpMeasure => [...ms].sort((a, b) => a.seconds - b.seconds)[Math.floor((ms.length - 1) / 2)]!;

async function warm(path: string): Promise<void> {
  // Read the LibSQL file once so every tool starts with it in the page cache (the first would pay the disk otherwise).
  await new Promise<void>((resolve, reject) => createReadStream(path).on('data', () => {}).on('end', resolve).on('error', reject));
}

/**
 * The transfer benchmark of issue 3: for each size, on the same generated LibSQL file, pgloader
 * (baseline, data only into our migrated schema), `copy` into a fresh database, `verify` of that
 * copy, `export` to NDJSON then `import` into another fresh database. Each runs in its own process
 * (peak memory per operation); every load is checked by counting the rows in PostgreSQL.
 * @throws Error when an operation fails or a load leaves a row count different from the source.
 */
export async function benchTransfer(opts: TransferBenchOptions): Promise<TransferBenchResult> {
  const rounds = Math.max(1, opts.rounds ?? 1);
  const pgloaderMax = opts.pgloaderMaxMessages ?? DEFAULT_PGLOADER_MAX_MESSAGES;
  const pgloader = ensurePgloader(opts.log);
  if (!pgloader.ok) opts.log(`pgloader baseline unavailable: ${pgloader.reason}`);
  const sizes: SizeResult[] = [];
  for (const messages of opts.sizes) {
    const t = performance.now();
    const dataset = await generateLibsqlFile({ messages, dir: opts.workDir, log: opts.log });
    opts.log(`data set ${messages}: ${dataset.totalRows} rows, ${(dataset.bytes / 1024 / 1024).toFixed(0)} MB, ${dataset.cached ? 'cached' : `generated in ${((performance.now() - t) / 1000).toFixed(1)} s`}`);
    await warm(dataset.path);
    const runs: { pgloader: SizeResult['pgloader'][]; copy: OpMeasure[]; verify: OpMeasure[]; export: OpMeasure[]; import: OpMeasure[] } = {
      pgloader: [],
      copy: [],
      verify: [],
      export: [],
      import: [],
    };
    let pgloaderFailure: string | null = null;
    const pgloaderSkipped = pgloader.ok ? pgloaderSkipReason(messages, pgloaderMax) : null;
    if (pgloaderSkipped) opts.log(`  pgloader ${messages}: ${pgloaderSkipped}`);
    for (let r = 0; r < rounds; r++) {
      if (pgloader.ok && !pgloaderSkipped) {
        opts.log(`  ${diskLine(opts.workDir)}`);
        // The baseline failing is a finding to report, not a reason to stop measuring our tools.
        try {
          runs.pgloader.push(await pgloaderRound(dataset, opts));
        } catch (e) {
          const msg = e instanceof Error ? e.message : String(e);
          pgloaderFailure = (/Heap exhausted[^\n]*|\b(?:FATAL|ERROR)\b[^\n]*/.exec(msg)?.[0] ?? msg.split('\n')[0]!).slice(0, 200);
          opts.log(`  pgloader ${messages}: failed: ${pgloaderFailure}`);
        }
      }
      const copied = await copyRound(dataset, opts);
      runs.copy.push(copied.copy);
      runs.verify.push(copied.verify);
      const moved = await exportImportRound(dataset, opts);
      runs.export.push(moved.export);
      runs.import.push(moved.import);
    }
    const pgl = runs.pgloader.filter((x): x is NonNullable<typeof x> => x !== null);
    sizes.push({
      messages,
      dataset,
      pgloader: pgl.length > 0 ? (median(pgl) as SizeResult['pgloader']) : null,
      pgloaderFailure: pgl.length > 0 ? null : pgloaderFailure,
      pgloaderSkipped,
      copy: median(runs.copy),
      verify: median(runs.verify),
      export: median(runs.export),
      import: median(runs.import),
    });
  }
  return { pgloader, sizes };
}

function expectRows(what: string, found: number, ds: GeneratedDataSet): void {
  if (found !== ds.totalRows) throw new Error(`${what}: PostgreSQL holds ${found} rows after the load, the source has ${ds.totalRows}`);
}

async function pgloaderRound(ds: GeneratedDataSet, opts: TransferBenchOptions): Promise<NonNullable<SizeResult['pgloader']>> {
  const db = await freshTarget('bench_pgloader');
  try {
    const loadAvg = loadavg()[0]!;
    const pg = watchDatabaseCpu(databaseName(db.url));
    let pgCpuSeconds: number | null = null;
    let run: Awaited<ReturnType<typeof runPgloader>>;
    try {
      run = await runPgloader(ds.path, db.url, opts.workDir);
    } finally {
      pgCpuSeconds = pg.stop();
    }
    const rows = await countPgRows(db.url);
    expectRows('pgloader', rows, ds);
    opts.log(`  pgloader ${ds.counts.messages}: ${run.seconds.toFixed(1)} s, ${run.peakRssMb.toFixed(0)} MB`);
    const { reportedRows, errors } = run;
    return { seconds: run.seconds, innerSeconds: null, rows, peakRssMb: run.peakRssMb, cpuSeconds: run.cpuSeconds, pgCpuSeconds, loadAvg, detail: { reportedRows, errors }, reportedRows, errors };
  } finally {
    await db.drop();
  }
}

async function copyRound(ds: GeneratedDataSet, opts: TransferBenchOptions): Promise<{ copy: OpMeasure; verify: OpMeasure }> {
  opts.log(`  ${diskLine(opts.workDir)}`);
  const db = await freshTarget('bench_copy');
  const rejectsDir = join(opts.workDir, `rejects-copy-${ds.counts.messages}`);
  try {
    const copy = await measureOp({ op: 'copy', libsqlUrl: ds.url, databaseUrl: db.url, rejectsDir });
    expectRows('copy', await countPgRows(db.url), ds);
    opts.log(`  copy ${ds.counts.messages}: ${copy.seconds.toFixed(1)} s, ${copy.peakRssMb.toFixed(0)} MB`);
    opts.log(`  ${diskLine(opts.workDir)}`);
    const verify = await measureOp({ op: 'verify', libsqlUrl: ds.url, databaseUrl: db.url });
    if (verify.detail.ok !== true) throw new Error(`verify after copy found drift: ${JSON.stringify(verify.detail)}`);
    opts.log(`  verify ${ds.counts.messages}: ${verify.seconds.toFixed(1)} s, ${verify.peakRssMb.toFixed(0)} MB`);
    return { copy, verify };
  } finally {
    await db.drop();
    rmSync(rejectsDir, { recursive: true, force: true });
  }
}

async function exportImportRound(ds: GeneratedDataSet, opts: TransferBenchOptions): Promise<{ export: OpMeasure; import: OpMeasure }> {
  const dir = join(opts.workDir, `export-${ds.counts.messages}`);
  const rejectsDir = join(opts.workDir, `rejects-import-${ds.counts.messages}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(opts.workDir, { recursive: true });
  // The copy round's database is dropped before this one starts: at most one loaded target at a time.
  let db: Awaited<ReturnType<typeof freshTarget>> | null = null;
  try {
    opts.log(`  ${diskLine(opts.workDir)}`);
    const exp = await measureOp({ op: 'export', libsqlUrl: ds.url, dir });
    opts.log(`  export ${ds.counts.messages}: ${exp.seconds.toFixed(1)} s, ${exp.peakRssMb.toFixed(0)} MB`);
    opts.log(`  ${diskLine(opts.workDir)}`);
    db = await freshTarget('bench_import');
    const imp = await measureOp({ op: 'import', dir, databaseUrl: db.url, rejectsDir });
    expectRows('import', await countPgRows(db.url), ds);
    opts.log(`  import ${ds.counts.messages}: ${imp.seconds.toFixed(1)} s, ${imp.peakRssMb.toFixed(0)} MB`);
    return { export: exp, import: imp };
  } finally {
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(rejectsDir, { recursive: true, force: true });
  }
}
