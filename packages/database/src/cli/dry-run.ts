import { tableNames, type TableName } from '../schema/tables.js';
import { q } from '../stores/table-sql.js';
import { openTarget } from '../transfer/load/pg-target.js';

/** One table of a dry-run plan of `import` or `copy`. */
export interface DryRunTable {
  readonly table: TableName;
  /** Rows that would be sent to PostgreSQL (the version guard then skips those it holds at that version or newer). */
  readonly wouldLoad: number;
  /** Rows that would not be sent: rejected by export (import) or by the conversion (copy, as `db check` finds them). */
  readonly rejected: number;
  /** Rows PostgreSQL holds now. */
  readonly postgresRows: number;
}

/**
 * What `import` and `copy` check on PostgreSQL before they write, without writing: it answers
 * (`DATABASE_UNREACHABLE`) and has no pending migration (`SCHEMA_MISSING`); plus the row count of
 * each table. Read-only: `SELECT 1`, drizzle's journal, `count(*)`.
 * @throws DatabaseError `DATABASE_UNREACHABLE`, `SCHEMA_MISSING` (as openTarget).
 */
export async function postgresPreflight(databaseUrl: string): Promise<{ target: string; counts: Record<TableName, number> }> {
  const t = await openTarget(databaseUrl, { max: 1, applicationName: 'repo-database:dry-run' });
  try {
    const counts = {} as Record<TableName, number>;
    // Table names come from the schema (tables.ts), never from input.
    for (const table of tableNames) counts[table] = Number((await t.sql.unsafe(`SELECT count(*)::bigint AS n FROM ${q(table)}`))[0]!.n);
    return { target: t.label, counts };
  } finally {
    await t.close();
  }
}

/** The screen form of a dry-run plan: one line per table. */
export function formatDryRun(tables: readonly DryRunTable[], rejectedWhat: string): string {
  const w = Math.max(...tables.map((t) => t.table.length));
  const num = (n: number) => n.toLocaleString('en-US');
  return tables
    .map((t) => `  ${t.table.padEnd(w)}  would load ${num(t.wouldLoad)} rows${t.rejected ? `, ${num(t.rejected)} ${rejectedWhat}` : ''}; PostgreSQL holds ${num(t.postgresRows)} now`)
    .join('\n');
}
