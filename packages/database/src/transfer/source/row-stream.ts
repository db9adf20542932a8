/**
 * Row reads by id shared by verify's re-check, reconcile and status (verify's key-ordered pass
 * reads chunks of pass rows instead: pass-reader-*.ts).
 */
import { TOMBSTONES_TABLE, tables, type TableName } from '../../schema/tables.js';
import type { Row } from '../../stores/store.js';
import { q, tableSql } from '../../stores/table-sql.js';
import type { Side } from './backend-pair.js';
import type { Reject } from '../convert/convert.js';
import { ImportFormReader } from '../convert/import-form.js';
import { normalizeRow } from '../convert/normalize-row.js';
import { stringifyJsonExact } from '../../json-exact.js';

/** How many ids go into one `IN (…)` list. */
const ID_BATCH = 500;

/** Rows of one side by id: the rows, and (LibSQL only) the rows import would reject. */
export interface FetchedRows {
  /** Logical rows by id; for LibSQL the import form (what import/copy write), see import-form.ts. */
  readonly rows: Map<string, Row>;
  /** LibSQL rows import/copy reject, with the reason; always empty for PostgreSQL. */
  readonly rejected: Map<string, Reject>;
}

/**
 * Rows by id, missing ids absent from both maps. PostgreSQL: through the store's codec, batches of
 * 500 ids. LibSQL: the import form (`ImportFormReader`; pass one to share parent verdicts).
 */
export async function fetchRows(side: Side, table: TableName, ids: readonly string[], form?: ImportFormReader): Promise<FetchedRows> {
  if (side.name === 'sqlite') return (form ?? new ImportFormReader(side)).read(table, ids);
  const t = tableSql(side.dialect, table);
  const rows = new Map<string, Row>();
  for (let i = 0; i < ids.length; i += ID_BATCH) {
    const batch = ids.slice(i, i + ID_BATCH);
    for (const r of await side.query(`SELECT ${t.selectList} FROM ${q(table)} m WHERE m.id IN (${batch.map(() => '?').join(', ')})`, batch)) {
      const row = t.decodeRow(r);
      rows.set(String(row.id), row);
    }
  }
  return { rows, rejected: new Map() };
}

/** Tombstone versions by id (ids never deleted are absent from the map). */
export async function fetchTombstones(side: Side, table: TableName, ids: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < ids.length; i += ID_BATCH) {
    const batch = ids.slice(i, i + ID_BATCH);
    const rows = await side.query(
      `SELECT id, version FROM ${q(TOMBSTONES_TABLE)} WHERE table_name = ? AND id IN (${batch.map(() => '?').join(', ')})`,
      [table, ...batch],
    );
    for (const r of rows) out.set(String(r.id), Number(r.version));
  }
  return out;
}

/** `SELECT count(*)` of a table. */
export async function countRows(side: Side, table: TableName): Promise<number> {
  const rows = await side.query(`SELECT count(*) AS n FROM ${q(table)}`, []);
  return Number(rows[0]?.n ?? 0);
}

/** Column names whose canonical values (`normalizeRow`) differ between two rows of `table`. */
export function differingColumns(table: TableName, a: Row, b: Row): string[] {
  const na = normalizeRow(table, a);
  const nb = normalizeRow(table, b);
  return tables[table].columns.map((c) => c.name).filter((n) => stringifyJsonExact(na[n]) !== stringifyJsonExact(nb[n]));
}
