import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { tables } from '../schema/tables.js';
import { fmt } from './stats.js';
import type { OpMeasure } from './transfer-measure.js';
import type { SizeResult, TransferBenchResult } from './transfer-bench.js';

/** Where and how the run happened, for the report's header. */
export interface RunContext {
  readonly date: string;
  readonly command: string;
  readonly postgres: string;
  /** 1-minute load average before the run and after it. */
  readonly loadBefore: number;
  readonly loadAfter: number;
  readonly totalSeconds: number;
}

const MB = 1024 * 1024;
const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const rate = (rows: number, s: number): number => rows / s;
const mbps = (bytes: number, s: number): number => bytes / MB / s;
const sum = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a + b);
const ok = (met: boolean | null): string => (met === null ? 'n/a' : met ? '**met**' : '**not met**');

function sizeTitle(s: SizeResult): string {
  const c = s.dataset.counts;
  return (
    `### ${int(s.messages)} messages — ${int(s.dataset.totalRows)} rows, LibSQL file ${fmt(s.dataset.bytes / MB, 0)} MB\n\n` +
    `Rows per table: messages ${int(c.messages)}, queries ${int(c.queries)}, documents ${int(c.documents)}, ` +
    `document_collaborators ${int(c.document_collaborators)}, user_profiles ${int(c.user_profiles)} (${tables.user_profiles.columns.length} columns), ` +
    `user_analysis_history ${int(c.user_analysis_history)}.\n`
  );
}

function line(name: string, m: OpMeasure, bytes: number, base: OpMeasure | null): string {
  const r = rate(m.rows, m.seconds);
  const vs = base ? `${fmt(r / rate(base.rows, base.seconds), 2)}×` : 'n/a';
  const cpu = (v: number | null) => (v === null ? '–' : fmt(v, 1));
  return `| ${name} | ${int(m.rows)} | ${fmt(m.seconds, 1)} | ${int(r)} | ${fmt(mbps(bytes, m.seconds), 1)} | ${vs} | ${fmt(m.peakRssMb, 0)} | ${cpu(m.cpuSeconds)} | ${cpu(m.pgCpuSeconds)} | ${fmt(m.loadAvg, 2)} |`;
}

/** Why the pgloader row of a size has no figures. */
function pgloaderAbsence(s: SizeResult): string {
  if (s.pgloaderSkipped) return s.pgloaderSkipped;
  return s.pgloaderFailure ? `failed: ${s.pgloaderFailure.replace(/[|\n]/g, ' ')}` : 'unavailable';
}

function sizeTable(s: SizeResult): string {
  const b = s.dataset.bytes;
  const ei: OpMeasure = {
    seconds: s.export.seconds + s.import.seconds,
    innerSeconds: null,
    rows: s.import.rows,
    peakRssMb: Math.max(s.export.peakRssMb, s.import.peakRssMb),
    cpuSeconds: sum(s.export.cpuSeconds, s.import.cpuSeconds),
    pgCpuSeconds: s.import.pgCpuSeconds,
    loadAvg: s.export.loadAvg,
    detail: {},
  };
  return [
    sizeTitle(s),
    '| operation | rows | wall s | rows/s | MB/s | vs pgloader | peak RSS MB | tool CPU s | PG CPU s | load avg |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
    s.pgloader
      ? line('pgloader (baseline)', s.pgloader, b, s.pgloader)
      : `| pgloader (baseline) | ${pgloaderAbsence(s)} | | | | | | | | |`,
    line('`copy`', s.copy, b, s.pgloader),
    line('`export`', s.export, b, null),
    line('`import`', s.import, b, null),
    line('`export` + `import`', ei, b, s.pgloader),
    line('`verify` (after copy)', s.verify, b, null),
    '',
  ].join('\n');
}

/** The targets of issue 3, evaluated. Sizes are matched by message count (100k and 1M); others are reported but not judged. */
function targets(r: TransferBenchResult): string {
  const small = r.sizes.find((s) => s.messages === 100_000);
  const big = r.sizes.find((s) => s.messages === 1_000_000);
  const rows: string[] = ['| target | 100k | 1M | verdict |', '|---|--:|--:|---|'];
  const ratio = (s: SizeResult | undefined, f: (s: SizeResult) => number | null): number | null => (s ? f(s) : null);
  const copyVs = (s: SizeResult) => (s.pgloader ? rate(s.copy.rows, s.copy.seconds) / rate(s.pgloader.rows, s.pgloader.seconds) : null);
  const eiVs = (s: SizeResult) =>
    s.pgloader ? rate(s.import.rows, s.export.seconds + s.import.seconds) / rate(s.pgloader.rows, s.pgloader.seconds) : null;
  const judge = (vals: (number | null)[], pass: (v: number) => boolean): boolean | null => {
    const known = vals.filter((v): v is number => v !== null);
    return known.length === 0 ? null : known.every(pass);
  };
  const x = (v: number | null) => (v === null ? 'n/a' : `${fmt(v, 2)}×`);
  const c = [ratio(small, copyVs), ratio(big, copyVs)];
  rows.push(`| \`copy\` rows/s ≥ 1.0× pgloader | ${x(c[0]!)} | ${x(c[1]!)} | ${ok(judge(c, (v) => v >= 1.0))} |`);
  const e = [ratio(small, eiVs), ratio(big, eiVs)];
  rows.push(`| \`export\` + \`import\` rows/s ≥ 0.5× pgloader | ${x(e[0]!)} | ${x(e[1]!)} | ${ok(judge(e, (v) => v >= 0.5))} |`);
  const vs = (s: SizeResult | undefined) => (s ? `${fmt(s.verify.seconds, 1)} s (${fmt((s.verify.seconds / s.verify.rows) * 1e6, 1)} s per 1M rows)` : 'n/a');
  const vBig = big ? big.verify.seconds : null;
  rows.push(`| \`verify\` of 1M rows < 10 s (wall, whole data set) | ${vs(small)} | ${vs(big)} | ${ok(vBig === null ? null : vBig < 10)} |`);
  for (const op of ['copy', 'export', 'import', 'verify'] as const) {
    const m = small && big ? big[op].peakRssMb / small[op].peakRssMb : null;
    const cell = (s: SizeResult | undefined) => (s ? `${fmt(s[op].peakRssMb, 0)} MB` : 'n/a');
    rows.push(`| peak memory of \`${op}\`, 1M / 100k ≤ 1.3 | ${cell(small)} | ${cell(big)} | ${m === null ? 'n/a' : `${fmt(m, 2)} — ${ok(m <= 1.3)}`} |`);
  }
  return rows.join('\n');
}

/** Message count of issue 15's large size. */
const TEN_MILLION = 10_000_000;
/** Issue 15: `verify` of the 10M data set in under this many seconds (wall). */
export const VERIFY_10M_MAX_SECONDS = 100;
/** Issue 15 (and issue 3 for 1M / 100k): peak memory of an operation at the larger size within this many times the smaller's. */
export const PEAK_MEMORY_MAX_RATIO = 1.3;

/**
 * The targets of issue 15, evaluated when the run includes 10M messages (else null): copy,
 * export + import and verify finished (they did when the report exists: a failure stops the
 * run), verify under {@link VERIFY_10M_MAX_SECONDS} s, and per operation the peak memory at 10M
 * over that at 1M (n/a without a 1M size in the same run).
 */
export function targets10M(r: TransferBenchResult): string | null {
  const huge = r.sizes.find((s) => s.messages === TEN_MILLION);
  if (!huge) return null;
  const big = r.sizes.find((s) => s.messages === 1_000_000);
  const rows: string[] = ['| target | 1M | 10M | verdict |', '|---|--:|--:|---|'];
  const secs = (s: SizeResult | undefined, op: 'copy' | 'export' | 'import' | 'verify') => (s ? `${fmt(s[op].seconds, 1)} s` : 'n/a');
  rows.push(`| \`copy\` finishes | ${secs(big, 'copy')} | ${secs(huge, 'copy')} | **met** |`);
  const ei = (s: SizeResult | undefined) => (s ? `${fmt(s.export.seconds + s.import.seconds, 1)} s` : 'n/a');
  rows.push(`| \`export\` + \`import\` finish | ${ei(big)} | ${ei(huge)} | **met** |`);
  rows.push(`| \`verify\` of 10M messages < ${VERIFY_10M_MAX_SECONDS} s (wall) | ${secs(big, 'verify')} | ${secs(huge, 'verify')} | ${ok(huge.verify.seconds < VERIFY_10M_MAX_SECONDS)} |`);
  for (const op of ['copy', 'export', 'import', 'verify'] as const) {
    const m = big ? huge[op].peakRssMb / big[op].peakRssMb : null;
    const cell = (s: SizeResult | undefined) => (s ? `${fmt(s[op].peakRssMb, 0)} MB` : 'n/a');
    rows.push(`| peak memory of \`${op}\`, 10M / 1M ≤ ${PEAK_MEMORY_MAX_RATIO} | ${cell(big)} | ${cell(huge)} | ${m === null ? 'n/a (no 1M size in this run)' : `${fmt(m, 2)} — ${ok(m <= PEAK_MEMORY_MAX_RATIO)}`} |`);
  }
  return rows.join('\n');
}

/** The whole markdown section (starts with its `##` title). */
export function transferReport(r: TransferBenchResult, ctx: RunContext): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const baseline = r.pgloader.ok ? `pgloader ${r.pgloader.version} (Debian package)` : `pgloader unavailable: ${r.pgloader.reason}`;
  const ten = targets10M(r);
  return [
    '## Transfer throughput: `copy`, `export` + `import`, `verify` against pgloader',
    '',
    `Command (from the repository root): \`${ctx.command}\``,
    '',
    'Sizes in messages: `BENCH_SIZES=100000,1000000` (the default: both; `BENCH_SIZES=1000000,10000000` for issue 15\'s 10M targets); ' +
      '`BENCH_TRANSFER_ROUNDS=3` reports the median of 3 rounds. pgloader runs only up to `BENCH_PGLOADER_MAX_MESSAGES` ' +
      '(default 1,000,000; at 10M it takes ~20 min and a heap beyond 4 GB). Generated data sets are cached in `bench-results/transfer-data/` (git-ignored); this report is also written to ' +
      "`bench-results/transfer-<date>.md`. Debian's `pgloader` is installed with apt-get when missing (baseline only, not a " +
      'dependency of the product); without it the baseline is reported unavailable.',
    '',
    `Run of ${ctx.date} on ${availableParallelism()} cores (${cpu}), ${fmt(totalmem() / 1024 ** 3, 0)} GiB RAM; Node ${process.version}; ` +
      `PostgreSQL ${ctx.postgres} on 127.0.0.1; ${baseline}. Load average (1 min) ${fmt(ctx.loadBefore, 2)} before, ` +
      `${fmt(ctx.loadAfter, 2)} after (other work on the machine shows there); whole run ${fmt(ctx.totalSeconds / 60, 1)} min.`,
    '',
    'How: one generated LibSQL file per size (real migrations, FTS5 table and triggers; text from fortune files; JSON metadata; ' +
      'snowflake ids above 2^53), used by every tool. Each operation runs in its own process: wall seconds from spawn to exit ' +
      '(start-up included, as for pgloader), peak RSS from the process itself (`resourceUsage().maxRSS`; GNU time `%M` for pgloader). ' +
      'rows/s = rows of all six tables / wall seconds; MB/s = LibSQL file size / wall seconds. "tool CPU s" is the ' +
      "process's user + system CPU (all threads); \"PG CPU s\" the CPU of the PostgreSQL backends serving the target " +
      'database, polled from /proc (tells which side was the bottleneck: 2 cores in all). Every load goes into a fresh ' +
      'database migrated by our migrations and is checked by counting rows in PostgreSQL; `verify` compares the `copy` result ' +
      'with the source (it must report zero drift). pgloader loads **data only into that same schema** (same indexes, generated ' +
      "tsvector and GIN index), excluding `messages_fts*` and `__drizzle_migrations`, otherwise pgloader's defaults (which drop and re-create the foreign key around the load), " +
      'except a 4 GB heap (`--dynamic-space-size 4096`): with the Debian build\'s 1 GB, pgloader dies at 1M messages with ' +
      '"Heap exhausted, game over".',
    '',
    ...r.sizes.map(sizeTable),
    '### Targets (issue 3)',
    '',
    targets(r),
    '',
    ...(ten ? ['### Targets at 10M messages (issue 15)', '', ten, ''] : []),
  ].join('\n');
}

const START = '<!-- transfer-bench:start -->';
const END = '<!-- transfer-bench:end -->';

/**
 * Puts `section` into `path` (docs/benchmarks.md) between the transfer-bench markers, replacing the
 * previous transfer results and keeping every other section; creates the file when missing.
 */
export function updateBenchmarksDoc(path: string, section: string): void {
  const block = `${START}\n${section.trim()}\n${END}`;
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `# Benchmarks\n\nResults of \`pnpm bench\` on this project's machines. Each section says how to rerun it.\n\n${block}\n`);
    return;
  }
  const text = readFileSync(path, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  const next = a >= 0 && b > a ? text.slice(0, a) + block + text.slice(b + END.length) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(path, next);
}
