import { tables, type TableName } from '../../schema/tables.js';
import type { Row } from '../../stores/store.js';
import { q } from '../../stores/table-sql.js';
import type { Side } from '../source/backend-pair.js';
import { Converter, type Reject } from './convert.js';
import { decodeLossless, losslessSelect } from '../source/source.js';
import type { SqliteValue } from '../source/sqlite-value.js';

/** LibSQL rows by id in their import form: the rows import/copy would write, and the ones they reject. */
export interface ImportForm {
  /** Converted (logical) rows by id: exactly what import/copy write to PostgreSQL. */
  readonly rows: Map<string, Row>;
  /** Rows import/copy reject, by the id they were looked up with, with the reason (stage `verify`). */
  readonly rejected: Map<string, Reject>;
}

/** How many ids go into one `IN (…)` list. */
const ID_BATCH = 500;

/**
 * Reads LibSQL rows by id the way copy's source reader does (source.ts: every value losslessly,
 * integers exact, and whether each foreign key's parent exists) and converts them with THE
 * conversion of check/export/import/copy (convert.ts, coerce.ts). So verify compares, and
 * reconcile writes, what import would have written (milliseconds in seconds columns → seconds, text booleans →
 * booleans, the text policy…), and learns which rows import rejects and why (invalid JSON,
 * invalid UTF-8, out of range, orphans…).
 *
 * A child whose parent exists but would itself be rejected is rejected as import rejects it
 * (`orphan: … was rejected`): parents are read and converted too (cached per reader). Rows with
 * the same id (a table without a primary key) are converted in rowid order: the first stands, the
 * others are duplicates. One reader per comparison: it remembers parent verdicts.
 */
export class ImportFormReader {
  readonly #side: Side;
  /** Verdicts of rows already converted (parents): the reject, or null when the row converts. */
  readonly #verdicts = new Map<TableName, Map<string, Reject | null>>();

  /** @param side the LibSQL side of a backend pair. */
  constructor(side: Side) {
    this.#side = side;
  }

  /**
   * The import form of `ids` of `table`; ids absent from LibSQL are in neither map.
   * @throws driver errors (LibSQL unreachable, table missing).
   */
  async read(table: TableName, ids: readonly string[]): Promise<ImportForm> {
    const rows = new Map<string, Row>();
    const rejected = new Map<string, Reject>();
    const spec = tables[table];
    const cols = spec.columns.map((c) => `${losslessSelect(c.name, 't.')} AS ${q(c.name)}`);
    for (const fk of spec.foreignKeys) {
      cols.push(`EXISTS (SELECT 1 FROM ${q(fk.references.table)} p WHERE p.${q(fk.references.column)} = t.${q(fk.column)}) AS ${q(`__fk_${fk.column}`)}`);
    }
    const verdicts = this.#verdictsOf(table);
    for (let k = 0; k < ids.length; k += ID_BATCH) {
      const batch = ids.slice(k, k + ID_BATCH);
      const found = await this.#side.query(
        `SELECT t.rowid AS __rowid, ${cols.join(', ')} FROM ${q(table)} t WHERE t.id IN (${batch.map(() => '?').join(', ')}) ORDER BY t.id, t.rowid`,
        batch,
      );
      const source = found.map((r) => {
        const values: Record<string, SqliteValue> = {};
        for (const c of spec.columns) values[c.name] = decodeLossless(r[c.name]);
        const parentExists: Record<string, boolean> = {};
        for (const fk of spec.foreignKeys) parentExists[fk.column] = Number(r[`__fk_${fk.column}`]) === 1;
        return { rowid: BigInt(r.__rowid as bigint | number), values, parentExists };
      });
      const converter = new Converter('sqlite', 'verify');
      for (const fk of spec.foreignKeys) {
        const parents = [...new Set(source.filter((s) => s.parentExists[fk.column] && typeof s.values[fk.column] === 'string').map((s) => s.values[fk.column] as string))];
        const ref = fk.references;
        for (const [key, rejected] of await this.#parentVerdicts(ref.table, ref.column, parents)) if (rejected) converter.markRejectedKey(ref.table, ref.column, key);
      }
      for (const s of source) {
        const key = typeof s.values.id === 'string' ? s.values.id : null;
        const c = converter.convert(table, s.values, { rowid: s.rowid, parentExists: s.parentExists });
        if (key === null || rows.has(key) || rejected.has(key)) continue; // a duplicate: the first row with this id stands
        if (c.ok) rows.set(key, c.row);
        else rejected.set(key, c.reject);
        verdicts.set(key, c.ok ? null : c.reject);
      }
    }
    return { rows, rejected };
  }

  #verdictsOf(table: TableName): Map<string, Reject | null> {
    let m = this.#verdicts.get(table);
    if (!m) this.#verdicts.set(table, (m = new Map()));
    return m;
  }

  /**
   * Per value of a referenced column (`documents.id`, `user_profiles.user_id`): whether every
   * source row holding it is rejected (so a child referencing it is an orphan). Values no row
   * holds are left out (the child's `parentExists` says "missing").
   */
  async #parentVerdicts(table: TableName, column: string, values: readonly string[]): Promise<Map<string, boolean>> {
    const out = new Map<string, boolean>();
    if (column === 'id') {
      for (const [id, reject] of await this.#verdictOf(table, values)) out.set(id, reject !== null);
      return out;
    }
    for (let k = 0; k < values.length; k += ID_BATCH) {
      const batch = values.slice(k, k + ID_BATCH);
      const found = await this.#side.query(`SELECT id, ${q(column)} AS k FROM ${q(table)} WHERE ${q(column)} IN (${batch.map(() => '?').join(', ')})`, batch);
      const holders = new Map<string, string[]>();
      for (const r of found) {
        if (typeof r.id !== 'string' || typeof r.k !== 'string') continue; // an unusable id is rejected anyway
        holders.set(r.k, [...(holders.get(r.k) ?? []), r.id]);
      }
      const verdicts = await this.#verdictOf(table, [...new Set([...holders.values()].flat())]);
      for (const [key, ids] of holders) out.set(key, ids.every((id) => verdicts.get(id) !== null));
    }
    return out;
  }

  /** Verdicts of `ids` of `table`, converting the ones not seen yet. */
  async #verdictOf(table: TableName, ids: readonly string[]): Promise<Map<string, Reject | null>> {
    const known = this.#verdictsOf(table);
    const unseen = ids.filter((id) => !known.has(id));
    if (unseen.length) await this.read(table, unseen);
    return new Map(ids.map((id) => [id, known.get(id) ?? null]));
  }
}
