import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GeneratedDataSet } from '../src/bench/generate-libsql.js';
import { diskLine, freeBytes, pgloaderSkipReason, type SizeResult, type TransferBenchResult } from '../src/bench/transfer-bench.js';
import type { OpMeasure } from '../src/bench/transfer-measure.js';
import { targets10M, transferReport } from '../src/bench/transfer-report.js';
import { pgloaderMaxMessages } from '../src/bench/transfer-run.js';

const op = (seconds: number, peakRssMb: number, rows: number): OpMeasure => ({
  seconds,
  innerSeconds: null,
  rows,
  peakRssMb,
  cpuSeconds: seconds,
  pgCpuSeconds: null,
  loadAvg: 1,
  detail: {},
});

function size(messages: number, peak: { copy: number; export: number; import: number; verify: number }, verifySeconds: number, skipped: string | null): SizeResult {
  const rows = Math.round(messages * 1.285);
  const dataset: GeneratedDataSet = {
    path: `/x/libsql-${messages}.db`,
    url: `file:/x/libsql-${messages}.db`,
    counts: { messages, queries: 0, documents: 0, document_collaborators: 0, user_profiles: 0, user_analysis_history: 0 },
    totalRows: rows,
    bytes: messages * 1200,
    textSource: 'built-in',
    seconds: 1,
    cached: true,
  };
  return {
    messages,
    dataset,
    pgloader: skipped ? null : { ...op(100, 900, rows), reportedRows: rows, errors: 0 },
    pgloaderFailure: null,
    pgloaderSkipped: skipped,
    copy: op(40, peak.copy, rows),
    export: op(30, peak.export, rows),
    import: op(50, peak.import, rows),
    verify: op(verifySeconds, peak.verify, rows),
  };
}

const ctx = { date: 'd', command: 'c', postgres: '15', loadBefore: 1, loadAfter: 1, totalSeconds: 60 };
const pg = { ok: true as const, version: '3.6' };

describe('transfer bench at 10M messages (issue 15)', () => {
  it('skips pgloader above the limit only', () => {
    expect(pgloaderSkipReason(1_000_000, 1_000_000)).toBeNull();
    expect(pgloaderSkipReason(10_000_000, 1_000_000)).toBe('not run (above 1,000,000 messages: BENCH_PGLOADER_MAX_MESSAGES)');
    expect(pgloaderMaxMessages(undefined)).toBe(1_000_000);
    expect(pgloaderMaxMessages('10_000_000')).toBe(10_000_000);
    expect(() => pgloaderMaxMessages('lots')).toThrow(/BENCH_PGLOADER_MAX_MESSAGES/);
    expect(() => pgloaderMaxMessages('-1')).toThrow(/positive integer/);
  });

  it('renders a 10M column, "not run" for pgloader, and judges verify time and the 10M / 1M memory ratio', () => {
    const big = size(1_000_000, { copy: 200, export: 150, import: 180, verify: 150 }, 12, null);
    const huge = size(10_000_000, { copy: 220, export: 150, import: 300, verify: 160 }, 95, pgloaderSkipReason(10_000_000, 1_000_000));
    const r: TransferBenchResult = { pgloader: pg, sizes: [big, huge] };
    const md = transferReport(r, ctx);
    expect(md).toContain('### 10,000,000 messages');
    expect(md).toContain('| pgloader (baseline) | not run (above 1,000,000 messages: BENCH_PGLOADER_MAX_MESSAGES) |');
    expect(md).toContain('### Targets at 10M messages (issue 15)');
    const t = targets10M(r)!;
    expect(t).toMatch(/\| `verify` of 10M messages < 100 s \(wall\) \| 12\.0 s \| 95\.0 s \| \*\*met\*\* \|/);
    expect(t).toMatch(/peak memory of `copy`, 10M \/ 1M ≤ 1\.3 \| 200 MB \| 220 MB \| 1\.10 — \*\*met\*\*/);
    expect(t).toMatch(/peak memory of `import`, 10M \/ 1M ≤ 1\.3 \| 180 MB \| 300 MB \| 1\.67 — \*\*not met\*\*/);
  });

  it('says not met when verify at 10M takes 100 s or more, n/a for ratios without 1M, and nothing without 10M', () => {
    const huge = size(10_000_000, { copy: 220, export: 150, import: 300, verify: 160 }, 100, 'not run');
    const t = targets10M({ pgloader: pg, sizes: [huge] })!;
    expect(t).toMatch(/< 100 s \(wall\) \| n\/a \| 100\.0 s \| \*\*not met\*\*/);
    expect(t).toContain('n/a (no 1M size in this run)');
    expect(targets10M({ pgloader: pg, sizes: [size(1_000_000, { copy: 1, export: 1, import: 1, verify: 1 }, 1, null)] })).toBeNull();
    expect(transferReport({ pgloader: pg, sizes: [size(100_000, { copy: 1, export: 1, import: 1, verify: 1 }, 1, null)] }, ctx)).not.toContain('Targets at 10M');
  });

  it('logs free disk space, and says so when it cannot', () => {
    const dir = mkdtempSync(join(tmpdir(), 'h3-df-'));
    try {
      expect(freeBytes(dir)).toBeGreaterThan(0);
      expect(diskLine(dir)).toMatch(/^disk free: \d+\.\d GB \(/);
      expect(diskLine(join(dir, 'missing', 'x'))).toMatch(/^disk free: unknown \(.*ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
