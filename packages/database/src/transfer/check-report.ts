import type { CheckReport } from './check.js';
import { formatTable } from './summary.js';

/** The deliberate coercions, one line each (printed by `db check --help` and the report). */
export const CONVERSION_POLICY: readonly string[] = [
  'bool: integer 1/0, or text 1/0/true/false/t/f/yes/no/on/off (any case) → true/false; anything else rejected',
  'timestamp (seconds columns): |n| ≤ 253402300799 (9999-12-31T23:59:59Z) is seconds, kept; above, up to the same instant in milliseconds, milliseconds → ÷1000 (floored); beyond, rejected; numeric text and reals likewise (fractions floored); ISO-8601 text (no zone = UTC) → unix seconds. 10^11 < |n| ≤ 253402300799 is ambiguous (seconds after year 5138, or milliseconds of 1973–1978): read as seconds and listed per row',
  'millis (messages.timestamp, queries.timestamp): integer milliseconds kept exactly (never ÷1000; below 10^11 noted as "seconds?" but kept); integral real or numeric text likewise; ISO-8601 text → unix ms; fractions and values beyond ±8.64·10^15 rejected',
  'int: must fit PostgreSQL integer (±2^31) and be whole; bigint: must fit int64 (2^53+1 … 2^63−1 kept exact)',
  'text and JSON strings: U+0000 stripped, lone surrogates → U+FFFD (services/sanitize.ts): counted as "sanitized", not rejected',
  'json: text that is not valid JSON rejected; JSON null stored as SQL NULL',
  'NOT NULL column without a value: rejected (never defaulted); child row whose parent is missing or rejected: rejected (orphan)',
  'duplicate id (source table without primary key): the first row by rowid kept, later ones rejected',
];

const classList = (classes: Partial<Record<string, number>>) =>
  Object.entries(classes)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

/** The human form of a check report: profile table, conversions per column, then every reject. */
export function formatCheckReport(r: CheckReport): string {
  const out: string[] = [];
  const m = r.migrations;
  out.push(`Source ${r.source} (journal_mode=${r.journalMode ?? 'remote'}); schema ${m.current ?? 'unknown'}${m.pending.length ? ` (pending: ${m.pending.join(', ')})` : ''}`);
  out.push('');
  out.push(
    formatTable(
      ['table', 'rows', 'accepted', 'rejected', 'sanitized', 'coerced'],
      [...r.tables.map((t) => [t.exists ? t.table : `${t.table} (absent)`, t.rows, t.accepted, t.rejected, t.sanitized, t.coerced]), ['total', r.totals.rows, r.totals.accepted, r.totals.rejected, r.totals.sanitized, r.totals.coerced]],
    ),
  );
  const conversions: string[] = [];
  for (const t of r.tables) {
    if (t.missingColumns.length && t.exists) conversions.push(`  ${t.table}: columns missing in the source (read as NULL): ${t.missingColumns.join(', ')}`);
    if (t.extraColumns.length) conversions.push(`  ${t.table}: columns not in the schema (not migrated): ${t.extraColumns.join(', ')}`);
    for (const c of t.columns) {
      const conv = Object.entries(c.conversions).map(([note, n]) => `${note} ×${n}`);
      if (conv.length === 0 && c.unexpected.length === 0 && c.rejected === 0) continue;
      const parts = [...conv, ...(c.rejected ? [`rejected ×${c.rejected}`] : [])];
      conversions.push(`  ${t.table}.${c.column} (${c.declared}; found ${classList(c.classes)}): ${parts.join(', ') || 'no change'}`);
    }
  }
  out.push('', conversions.length ? 'Conversions import and copy will apply:' : 'No conversions needed: every value has its declared storage class.', ...conversions);
  if (r.ambiguous?.length) {
    out.push('', `Ambiguous values import and copy read as seconds (${r.ambiguous.length}); look at each:`);
    for (const a of r.ambiguous) out.push(`  ${a.table} ${a.id ?? '?'} [${a.column}]: ${a.value} — ${a.note}`);
  }
  if (r.rejects.length) {
    out.push('', `Rows import and copy would reject (${r.rejects.length}), written to rejects/<table>.ndjson when they run:`);
    for (const j of r.rejects) {
      const where = j.id ?? `rowid ${j.rowid ?? '?'}`;
      out.push(`  ${j.table} ${where}${j.column ? ` [${j.column}]` : ''}: ${j.reason}${j.value !== null ? ` — value ${j.value}` : ''}`);
    }
  } else {
    out.push('', 'No row would be rejected.');
  }
  return out.join('\n');
}
