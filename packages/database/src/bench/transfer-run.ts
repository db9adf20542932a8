import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testServerUrl } from '../testing/postgres.js';
import { benchTransfer, DEFAULT_PGLOADER_MAX_MESSAGES } from './transfer-bench.js';
import { serverVersion } from './transfer-measure.js';
import { transferReport, updateBenchmarksDoc } from './transfer-report.js';

/** The repository root (this file is `packages/database/dist/bench/transfer-run.js`). */
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * Sizes from `BENCH_SIZES` (message counts, comma-separated, `_` allowed: `100_000,1_000_000`);
 * default 100k and 1M. @throws Error on a value that is not a positive integer.
 */
export function benchSizes(env: string | undefined): number[] {
  if (!env || env.trim() === '') return [100_000, 1_000_000];
  return env.split(',').map((s) => {
    const n = Number(s.trim().replaceAll('_', ''));
    if (!Number.isInteger(n) || n <= 0) throw new Error(`BENCH_SIZES: "${s}" is not a positive integer (example: BENCH_SIZES=100000,1000000)`);
    return n;
  });
}

/**
 * `BENCH_PGLOADER_MAX_MESSAGES`: the largest size pgloader runs at (default 1,000,000; above it the
 * report says "not run"). @throws Error on a value that is not a positive integer.
 */
export function pgloaderMaxMessages(env: string | undefined): number {
  if (!env || env.trim() === '') return DEFAULT_PGLOADER_MAX_MESSAGES;
  const n = Number(env.trim().replaceAll('_', ''));
  if (!Number.isInteger(n) || n <= 0) throw new Error(`BENCH_PGLOADER_MAX_MESSAGES: "${env}" is not a positive integer (example: BENCH_PGLOADER_MAX_MESSAGES=1000000)`);
  return n;
}

/**
 * `BENCH_ONLY=transfer pnpm bench`: runs {@link benchTransfer} at `BENCH_SIZES` with
 * `BENCH_TRANSFER_ROUNDS` rounds (default 1), prints the markdown report on stdout, writes it to
 * `bench-results/transfer-<date>.md` and, when the sizes include 100k and 1M, puts it into
 * `docs/benchmarks.md` (other sections kept).
 * Progress goes to stderr. Data sets are cached in `bench-results/transfer-data/`.
 */
export async function runTransferBench(): Promise<void> {
  const sizes = benchSizes(process.env.BENCH_SIZES);
  const rounds = Number(process.env.BENCH_TRANSFER_ROUNDS ?? 1);
  const pgloaderMax = pgloaderMaxMessages(process.env.BENCH_PGLOADER_MAX_MESSAGES);
  const resultsDir = join(ROOT, 'bench-results');
  const log = (l: string) => process.stderr.write(`[bench transfer] ${l}\n`);
  const t0 = performance.now();
  const loadBefore = loadavg()[0]!;
  const postgres = await serverVersion(await testServerUrl());
  const result = await benchTransfer({ sizes, workDir: join(resultsDir, 'transfer-data'), rounds, pgloaderMaxMessages: pgloaderMax, log });
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  const defaults = !process.env.BENCH_SIZES && rounds === 1;
  const command = defaults
    ? 'BENCH_ONLY=transfer pnpm bench'
    : `BENCH_ONLY=transfer BENCH_SIZES=${sizes.join(',')}${rounds > 1 ? ` BENCH_TRANSFER_ROUNDS=${rounds}` : ''}${pgloaderMax !== DEFAULT_PGLOADER_MAX_MESSAGES ? ` BENCH_PGLOADER_MAX_MESSAGES=${pgloaderMax}` : ''} pnpm bench`;
  const report = transferReport(result, {
    date,
    command,
    postgres,
    loadBefore,
    loadAfter: loadavg()[0]!,
    totalSeconds: (performance.now() - t0) / 1000,
  });
  console.log(report);
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `transfer-${new Date().toISOString().slice(0, 19).replaceAll(':', '-')}.md`);
  writeFileSync(file, report);
  // Only a run at the issue's sizes replaces the published figures; other sizes are trials.
  if (sizes.includes(100_000) && sizes.includes(1_000_000)) {
    updateBenchmarksDoc(join(ROOT, 'docs', 'benchmarks.md'), report);
    log(`report written to ${file} and docs/benchmarks.md`);
  } else {
    log(`report written to ${file} (docs/benchmarks.md is updated only by runs that include 100000 and 1000000)`);
  }
}
