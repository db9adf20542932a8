import { tables, type TableName } from '../../schema/tables.js';
import type { Row } from '../../stores/store.js';
import { q } from '../../stores/table-sql.js';
import type { Side } from '../source/backend-pair.js';
import { Converter, duplicateKeyReason, UNIQUE_KEYS, uniqueKeyOf, type Reject } from './convert.js';
import { coerce, type JsonDepthLimit } from './coerce.js';
import { sampleValue } from '../source/sqlite-value.js';
import { sanitizeText } from '../../services/sanitize.js';
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
  /** Per `table(columns)`: the converted key → ids holding it, in copy's order (see {@link #keyHolders}). */
  readonly #holders = new Map<string, Map<string, string[]>>();
  #jsonDepth: JsonDepthLimit | (() => Promise<JsonDepthLimit>) | undefined;

  /**
   * @param side the LibSQL side of a backend pair.
   * @param opts `jsonDepth`: PostgreSQL's JSON depth limit (coerce.ts), as import/copy measure it
   *   (load/pg-json-depth.ts), or a function measuring it (called at the first read). Default: the
   *   limit of PostgreSQL's default `max_stack_depth`.
   */
  constructor(side: Side, opts: { readonly jsonDepth?: JsonDepthLimit | (() => Promise<JsonDepthLimit>) | undefined } = {}) {
    this.#side = side;
    this.#jsonDepth = opts.jsonDepth;
  }

  /**
   * The import form of `ids` of `table`; ids absent from LibSQL are in neither map.
   *
   * Unique keys (convert.ts `UNIQUE_KEYS`) as import/copy apply them: a row whose converted key an
   * earlier row (id order) that converts also holds is rejected as `duplicate key`, as copy
   * rejects it (PostgreSQL's 23505). Such a row does not make its children orphans (the key is
   * there, held by the other row).
   * @throws driver errors (LibSQL unreachable, table missing).
   */
  async read(table: TableName, ids: readonly string[]): Promise<ImportForm> {
    const form = await this.#readBase(table, ids);
    const keys = UNIQUE_KEYS.get(table);
    if (!keys || form.rows.size === 0) return form;
    const shared = await Promise.all(keys.map((cols) => this.#keyHolders(table, cols)));
    for (const [id, row] of [...form.rows]) {
      for (let k = 0; k < keys.length; k++) {
        const key = uniqueKeyOf(row, keys[k]!);
        const holders = key === null ? undefined : shared[k]!.get(key);
        const at = holders ? holders.indexOf(id) : -1;
        if (!holders || at <= 0) continue; // the first holder never yields
        const before = holders.slice(0, at);
        const verdicts = await this.#verdictOf(table, before);
        const winner = before.find((h) => verdicts.get(h) === null);
        if (winner === undefined) continue;
        form.rows.delete(id);
        const col = keys[k]![0]!;
        form.rejected.set(id, { table, id, column: col, reason: duplicateKeyReason(table, keys[k]!, row, winner), value: sampleValue(row[col]), stage: 'verify' });
        break;
      }
    }
    return form;
  }

  /**
   * Who holds each key of `columns` in `table` once converted (the text policy applied, as
   * PostgreSQL compares it): converted key (`uniqueKeyOf`) → ids, in copy's order (id, rowid).
   * One read of the key columns of the whole table, kept for this reader.
   */
  async #keyHolders(table: TableName, columns: readonly string[]): Promise<Map<string, string[]>> {
    const cacheKey = `${table}(${columns.join(',')})`;
    const known = this.#holders.get(cacheKey);
    if (known) return known;
    const found = await this.#side.query(
      `SELECT ${losslessSelect('id', 't.')} AS id, ${columns.map((c) => `${losslessSelect(c, 't.')} AS ${q(c)}`).join(', ')} FROM ${q(table)} t WHERE typeof(t.id) = 'text' ORDER BY t.id, t.rowid`,
      [],
    );
    const out = new Map<string, string[]>();
    const spec = tables[table];
    for (const r of found) {
      const id = decodeLossless(r.id);
      if (typeof id !== 'string') continue;
      const row: Row = {};
      for (const c of columns) {
        const v = decodeLossless(r[c]);
        const conv = v === null ? null : coerce(spec.columns.find((x) => x.name === c)!.type, v, false);
        row[c] = conv && conv.ok ? conv.value : null; // a value that does not convert rejects the row anyway
      }
      const key = uniqueKeyOf(row, columns);
      if (key === null) continue;
      const list = out.get(key);
      if (!list) out.set(key, [id]);
      else if (list[list.length - 1] !== id) list.push(id);
    }
    this.#holders.set(cacheKey, out);
    return out;
  }

  /** The import form of `ids` without the unique-key rule (what {@link read} starts from; verdicts cached). */
  async #readBase(table: TableName, ids: readonly string[]): Promise<ImportForm> {
    const rows = new Map<string, Row>();
    const rejected = new Map<string, Reject>();
    const spec = tables[table];
    const cols = spec.columns.map((c) => `${losslessSelect(c.name, 't.')} AS ${q(c.name)}`);
    for (const fk of spec.foreignKeys) {
      cols.push(`EXISTS (SELECT 1 FROM ${q(fk.references.table)} p WHERE p.${q(fk.references.column)} = t.${q(fk.column)}) AS ${q(`__fk_${fk.column}`)}`);
    }
    const verdicts = this.#verdictsOf(table);
    if (typeof this.#jsonDepth === 'function') this.#jsonDepth = await this.#jsonDepth();
    const jsonDepth = this.#jsonDepth;
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
      const converter = new Converter('sqlite', 'verify', { uniqueKeys: false, jsonDepth });
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
    // Another column (user_profiles.user_id): PostgreSQL matches the converted reference against
    // converted keys, so every row whose key converts the same counts (a U+0000, another lone surrogate).
    const holders = await this.#keyHolders(table, [column]);
    for (const v of values) {
      const ids = holders.get(uniqueKeyOf({ [column]: sanitizeText(v) }, [column])!) ?? [];
      if (ids.length === 0) continue;
      const verdicts = await this.#verdictOf(table, ids);
      out.set(v, ids.every((id) => verdicts.get(id) !== null));
    }
    return out;
  }

  /** Verdicts of `ids` of `table`, converting the ones not seen yet. */
  async #verdictOf(table: TableName, ids: readonly string[]): Promise<Map<string, Reject | null>> {
    const known = this.#verdictsOf(table);
    const unseen = ids.filter((id) => !known.has(id));
    if (unseen.length) await this.#readBase(table, unseen);
    return new Map(ids.map((id) => [id, known.get(id) ?? null]));
  }
}
