import type { TableName } from '../schema/tables.js';

/**
 * What export, import or copy did to one table. For import and copy, `read = imported + rejected`
 * and `imported = written + unchanged`; for export, `imported` counts rows written to the file.
 */
export interface TableSummary {
  readonly table: TableName;
  /** Rows read: LibSQL rows (export, copy) or NDJSON lines (import). */
  read: number;
  /** Rows that are in the target at this version or newer after the run. */
  imported: number;
  /** Rows inserted or updated in PostgreSQL by this run (0 for export). */
  written: number;
  /** Rows the version guard left alone: PostgreSQL already had them at this version or newer, or a tombstone (re-runs, shadow writes). */
  unchanged: number;
  /** Rows that went to a rejects file instead. */
  rejected: number;
  /** Rows whose text the policy changed (U+0000 stripped, lone surrogate → U+FFFD). */
  sanitized: number;
  /** Rows with any other deliberate coercion (see coerce.ts). */
  coerced: number;
  /** Wall time of the table, in seconds. */
  seconds: number;
}

/** A summary with every counter at zero. */
export function emptySummary(table: TableName): TableSummary {
  return { table, read: 0, imported: 0, written: 0, unchanged: 0, rejected: 0, sanitized: 0, coerced: 0, seconds: 0 };
}

/** Progress of a long run, for progress bars: `done` of `total` rows of `table` (`total` null when unknown). */
export interface TransferProgress {
  readonly stage: 'validate' | 'read' | 'load';
  readonly table: TableName;
  readonly done: number;
  readonly total: number | null;
}

/** Sums of every table's counters; `seconds` is the sum of table times. */
export function totals(tables: readonly TableSummary[]): Omit<TableSummary, 'table'> {
  const t = { read: 0, imported: 0, written: 0, unchanged: 0, rejected: 0, sanitized: 0, coerced: 0, seconds: 0 };
  for (const s of tables) for (const k of Object.keys(t) as (keyof typeof t)[]) t[k] += s[k];
  return t;
}

/** Rows per second, rounded (0 when no time passed). */
export const rowsPerSecond = (rows: number, seconds: number): number => (seconds > 0 ? Math.round(rows / seconds) : 0);

/** A plain aligned text table: first column left-aligned, the others right-aligned. */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/**
 * The summary table printed by import and copy: table, read, imported, written, unchanged, rejected, seconds, rows/s.
 * @param wallSeconds the run's wall time, for the total row (tables load side by side, so their seconds overlap); default their sum.
 */
export function formatLoadSummary(tables: readonly TableSummary[], wallSeconds?: number): string {
  const t = totals(tables);
  if (wallSeconds !== undefined) t.seconds = wallSeconds;
  const row = (name: string, s: Omit<TableSummary, 'table'>) => [
    name,
    s.read,
    s.imported,
    s.written,
    s.unchanged,
    s.rejected,
    s.seconds.toFixed(2),
    rowsPerSecond(s.read, s.seconds),
  ];
  return formatTable(
    ['table', 'read', 'imported', 'written', 'unchanged', 'rejected', 'seconds', 'rows/s'],
    [...tables.map((s) => row(s.table, s)), row('total', t)],
  );
}

/** The summary table printed by export: table, read, exported, rejected, sanitized, coerced, seconds, rows/s. */
export function formatExportSummary(tables: readonly TableSummary[]): string {
  const t = totals(tables);
  const row = (name: string, s: Omit<TableSummary, 'table'>) => [name, s.read, s.imported, s.rejected, s.sanitized, s.coerced, s.seconds.toFixed(2), rowsPerSecond(s.read, s.seconds)];
  return formatTable(['table', 'read', 'exported', 'rejected', 'sanitized', 'coerced', 'seconds', 'rows/s'], [...tables.map((s) => row(s.table, s)), row('total', t)]);
}
