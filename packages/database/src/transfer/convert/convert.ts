import { tables, type TableName } from '../../schema/tables.js';
import { sanitizeText } from '../../services/sanitize.js';
import type { Row } from '../../stores/store.js';
import { coerce, type CoerceOptions, NOTE_AMBIGUOUS_SECONDS, NOTE_BEYOND_2_53, NOTE_MILLIS_SMALL, NOTE_NUL, NOTE_SURROGATE } from './coerce.js';
import { InvalidUtf8, sampleValue, storageClass } from '../source/sqlite-value.js';
import { rowFactory } from './row-shape.js';

/** Which tool produced a reject record (`verify`: a LibSQL row verify found import/copy would reject). */
export type RejectStage = 'check' | 'export' | 'import' | 'copy' | 'verify';

/**
 * A row that cannot go to PostgreSQL, and why. Written one per line to `rejects/<table>.ndjson`
 * (import, copy) or `rejects/export/<table>.ndjson` (export) and listed by `db check`.
 */
export interface Reject {
  readonly table: TableName;
  /** The row's id, or null when the id itself is missing or unusable. */
  readonly id: string | null;
  /** SQLite rowid of the source row (check, export, copy): finds rows whose id is unusable. */
  readonly rowid?: string | undefined;
  /** The column at fault, or null for row-level reasons (duplicate id, PostgreSQL errors). */
  readonly column: string | null;
  /** Why, starting with a stable kind: `missing`, `invalid JSON`, `out of range`, `orphan`, `duplicate id`, `postgres <SQLSTATE>`… */
  readonly reason: string;
  /** The offending value, printable, cut to 120 characters (see `sampleValue`). */
  readonly value: string | null;
  readonly stage: RejectStage;
}

/** A deliberate coercion applied to one column of one row (see coerce.ts). */
export interface ColumnNote {
  readonly column: string;
  readonly note: string;
}

/** The result of converting one row: the logical row, or a reject. Notes in both cases. */
export type Conversion =
  | { readonly ok: true; readonly row: Row; readonly notes: readonly ColumnNote[] | null }
  | { readonly ok: false; readonly reject: Reject; readonly notes: readonly ColumnNote[] | null };

/** Facts about a source row that are not column values. */
export interface ConvertMeta {
  readonly rowid?: bigint | undefined;
  /** Per foreign-key column: whether the referenced row exists in the same snapshot. */
  readonly parentExists?: Readonly<Record<string, boolean>> | undefined;
}

/** True when a note means the text policy changed a value (the row counts as "sanitized"). */
export const isSanitizeNote = (note: string): boolean => note === NOTE_NUL || note === NOTE_SURROGATE;

/**
 * True when a note only informs (the value is kept as is: a bigint beyond 2^53, a `millis` value
 * small enough to be seconds, a seconds value large enough to be milliseconds): neither sanitized nor coerced.
 */
export const isInfoNote = (note: string): boolean => note === NOTE_BEYOND_2_53 || note === NOTE_MILLIS_SMALL || note === NOTE_AMBIGUOUS_SECONDS;

/**
 * The columns of each table that a foreign key references (`documents.id`,
 * `user_profiles.user_id`): a rejected row's values in them make its children orphans.
 */
const REFERENCED: ReadonlyMap<TableName, readonly string[]> = (() => {
  const m = new Map<TableName, string[]>();
  for (const t of Object.values(tables)) {
    for (const fk of t.foreignKeys) {
      const cols = m.get(fk.references.table) ?? [];
      if (!cols.includes(fk.references.column)) cols.push(fk.references.column);
      m.set(fk.references.table, cols);
    }
  }
  return m;
})();

/**
 * The unique keys of each table other than the primary key (`user_profiles.user_id`,
 * `document_collaborators (document_id, user_id)`): PostgreSQL enforces them on the converted
 * values, so two source rows that differ only by what the text policy removes (a U+0000, two
 * different lone surrogates that both become U+FFFD), or that a SQLite file without the unique
 * index holds twice, collide there (23505).
 */
export const UNIQUE_KEYS: ReadonlyMap<TableName, ReadonlyArray<readonly string[]>> = new Map(
  (Object.values(tables) as Array<(typeof tables)[TableName]>).map((t) => [t.name, t.indexes.filter((i) => i.unique).map((i) => i.columns)] as const).filter(([, k]) => k.length > 0),
);

/**
 * The key of converted `row` in unique key `columns` (null when a column is NULL: NULLs never
 * collide): the value's text itself for a one-column key (no new string per row: the converter
 * holds one key per row of `user_profiles`, 200k at 10M messages), else the JSON array of the
 * values' texts. Keys of different column lists are never compared with each other.
 */
export function uniqueKeyOf(row: Readonly<Row>, columns: readonly string[]): string | null {
  if (columns.length === 1) {
    const v = row[columns[0]!];
    return v === null || v === undefined ? null : String(v);
  }
  const vals = columns.map((c) => row[c]);
  return vals.some((v) => v === null || v === undefined) ? null : JSON.stringify(vals.map(String));
}

/** Reason of a row whose unique key an earlier row already holds (see {@link UNIQUE_KEYS}). */
export function duplicateKeyReason(table: TableName, columns: readonly string[], row: Readonly<Row>, holder: string): string {
  const what = columns.map((c) => `${c} ${sampleValue(row[c])}`).join(', ');
  return `duplicate key: ${what} (as PostgreSQL stores it, after the text policy) is already held by ${table} ${holder}, which comes first; PostgreSQL's unique key would refuse this row (23505)`;
}

/** Key of the rejected-parents set of one referenced column. */
const refKey = (table: TableName, column: string) => `${table}.${column}`;

/** Counts a row's notes into `into`: `sanitized` and `coerced` go up by at most one each. */
export function countNotes(into: { sanitized: number; coerced: number }, notes: readonly ColumnNote[] | null): void {
  if (!notes) return;
  if (notes.some((n) => isSanitizeNote(n.note))) into.sanitized++;
  if (notes.some((n) => !isSanitizeNote(n.note) && !isInfoNote(n.note))) into.coerced++;
}

/**
 * Why a raw id value cannot be a row's id (`missing: …` or `unusable id: …`, the reasons of
 * {@link Converter.convert}), or null when it can: ids must be text and exact (no U+0000, no lone
 * surrogate, valid UTF-8), because they are compared and looked up byte for byte.
 */
export function idProblem(rawId: unknown): string | null {
  if (rawId === null || rawId === undefined) return 'missing: id is NOT NULL';
  if (typeof rawId !== 'string') {
    const why = rawId instanceof InvalidUtf8 ? `invalid UTF-8 at byte ${rawId.offset}` : `${storageClass(rawId)}, not text`;
    return `unusable id: ${why}`;
  }
  if (sanitizeText(rawId) !== rawId) return 'unusable id: contains U+0000 or a lone surrogate (ids must stay exact)';
  return null;
}

/**
 * THE conversion of check, export, import and copy: raw values → the logical row of a table
 * spec, or a {@link Reject}. One converter per run; it remembers, per table, the previous id
 * (rows must arrive in id order, so a later duplicate is rejected) and the ids it rejected (so
 * a child row whose parent was rejected is rejected as an orphan instead of failing the foreign
 * key in PostgreSQL).
 *
 * Row-level rules, in order: id present, text, and exact (no U+0000 or lone surrogate); not a
 * duplicate of the previous id; each column coerced (coerce.ts); NOT NULL columns present
 * (missing values are rejected, never defaulted); parents present and not rejected; unique keys
 * (as PostgreSQL compares them, after the text policy) not held by an earlier row.
 */
export class Converter {
  readonly #canonical: boolean;
  readonly #stage: RejectStage;
  readonly #lastId = new Map<TableName, string>();
  /** Per referenced column (`table.column`, see REFERENCED): the values of rows that did not reach PostgreSQL. */
  readonly #rejected = new Map<string, Set<string>>();
  /** Per referenced column: the values (converted) of rows that go to PostgreSQL; a value held there is no orphan's parent, whatever else was rejected. */
  readonly #held = new Map<string, Set<string>>();
  /** Per table and unique key (see {@link UNIQUE_KEYS}): key → id of the row that holds it. */
  readonly #keys = new Map<TableName, Array<Map<string, string>>>();
  /** Tables whose rows are all converted and loaded ({@link finish}). */
  readonly #finished = new Set<TableName>();
  readonly #coerce: CoerceOptions;
  readonly #uniqueKeys: boolean;

  /**
   * @param mode `sqlite`: values as the source reader returns them (sqlite-value.ts);
   *   `canonical`: a parsed NDJSON line of an export (already logical).
   * @param opts `jsonDepth`: PostgreSQL's JSON depth limit (coerce.ts); `uniqueKeys: false` skips
   *   the unique-key rule (a reader converting rows by id, which applies it itself: import-form.ts).
   */
  constructor(mode: 'sqlite' | 'canonical', stage: RejectStage, opts: CoerceOptions & { readonly uniqueKeys?: boolean } = {}) {
    this.#canonical = mode === 'canonical';
    this.#stage = stage;
    this.#coerce = { jsonDepth: opts.jsonDepth };
    this.#uniqueKeys = opts.uniqueKeys ?? true;
  }

  /**
   * Records that row `id` of `table`, converted, did not reach PostgreSQL (PostgreSQL refused it),
   * so its children become orphans (unless another row holds the same key there). `values` (the row, raw or converted) gives
   * the other columns children reference (`user_profiles.user_id`); without it only references
   * to `id` are known.
   */
  markRejected(table: TableName, id: string, values?: Readonly<Record<string, unknown>>): void {
    this.#markRejected(table, id, values, true);
  }

  /**
   * `wasHeld`: the row had been converted (so it held its keys) and PostgreSQL refused it: its keys
   * are no longer held (each converted key has one holder: a second one is a duplicate key).
   */
  #markRejected(table: TableName, id: string, values: Readonly<Record<string, unknown>> | undefined, wasHeld: boolean): void {
    for (const column of REFERENCED.get(table) ?? []) {
      const v = column === 'id' ? id : values?.[column];
      if (typeof v === 'string') {
        this.markRejectedKey(table, column, v);
        if (wasHeld) this.#held.get(refKey(table, column))?.delete(sanitizeText(v));
      }
    }
  }

  /**
   * Records that a row of `table` with `column` = `value` did not reach PostgreSQL (a referenced
   * column, e.g. `user_profiles.user_id`). Keys are kept as PostgreSQL compares them: after the
   * text policy (a child's reference is converted the same way).
   */
  markRejectedKey(table: TableName, column: string, value: string): void {
    const key = refKey(table, column);
    let set = this.#rejected.get(key);
    if (!set) this.#rejected.set(key, (set = new Set()));
    set.add(sanitizeText(value));
  }

  /** Records that converted `row` of `table` goes to PostgreSQL: it holds its referenced keys there. */
  #hold(table: TableName, row: Readonly<Row>): void {
    for (const column of REFERENCED.get(table) ?? []) {
      const v = row[column];
      if (typeof v !== 'string') continue;
      const key = refKey(table, column);
      let set = this.#held.get(key);
      if (!set) this.#held.set(key, (set = new Set()));
      set.add(v);
    }
  }

  /**
   * Says that every row of `table` has been converted and loaded (its rejects marked): its unique
   * keys are dropped at once (they only collide within the table), its held referenced keys are
   * cut to those also rejected (the only ones a child's check asks about), and the referenced keys
   * of a finished table go once every table referencing it has finished too. So what the
   * converter holds is bounded by the tables in progress and by the rejects, not by the run: at
   * 10M messages the profiles' 200k user ids would otherwise stay while their 500k children load
   * beside messages.
   * Tables never finished (not part of the run) keep their parents' keys: nothing is dropped early.
   */
  finish(table: TableName): void {
    this.#finished.add(table);
    this.#keys.delete(table);
    // From now on a held key only answers "is this rejected key held too?": keep those alone.
    for (const column of REFERENCED.get(table) ?? []) {
      const k = refKey(table, column);
      const held = this.#held.get(k);
      if (!held) continue;
      const rejected = this.#rejected.get(k);
      if (!rejected) this.#held.delete(k);
      else this.#held.set(k, new Set([...rejected].filter((v) => held.has(v))));
    }
    for (const [parent, columns] of REFERENCED) {
      if (!this.#finished.has(parent)) continue;
      const children = (Object.values(tables) as Array<(typeof tables)[TableName]>).filter((t) => t.foreignKeys.some((fk) => fk.references.table === parent));
      if (!children.every((c) => this.#finished.has(c.name))) continue;
      for (const column of columns) {
        this.#held.delete(refKey(parent, column));
        this.#rejected.delete(refKey(parent, column));
      }
    }
  }

  /**
   * Records that a row of `table` with this id went to PostgreSQL without conversion (the byte
   * path, copy-text.ts): the next row is a duplicate when it has the same id, as after {@link convert}.
   */
  follows(table: TableName, id: string): void {
    this.#lastId.set(table, id);
  }

  /** Converts one row. `values` is keyed by column name; absent columns count as NULL. */
  convert(table: TableName, values: Readonly<Record<string, unknown>>, meta: ConvertMeta = {}): Conversion {
    let notes: ColumnNote[] | null = null;
    const rowid = meta.rowid === undefined ? undefined : meta.rowid.toString();
    const fail = (id: string | null, column: string | null, reason: string, value: unknown, mark = true): Conversion => {
      if (id !== null && mark) this.#markRejected(table, id, values, false);
      const reject: Reject = { table, id, rowid, column, reason, value: value === undefined ? null : sampleValue(value), stage: this.#stage };
      return { ok: false, reject, notes };
    };

    const rawId = values.id;
    const idWrong = idProblem(rawId);
    if (idWrong !== null) return fail(null, 'id', idWrong, rawId ?? null);
    const id = rawId as string;
    if (this.#lastId.get(table) === id) {
      // Not marked: the first row with this id is the one that stands (or fell) for it.
      return fail(id, null, 'duplicate id: an earlier row with this id comes first (the source table has no primary key)', id, false);
    }
    this.#lastId.set(table, id);

    // Every column is coerced even after a problem, so notes and the reason cover the whole row.
    const spec = tables[table];
    const cols = spec.columns;
    const out: unknown[] = new Array(cols.length);
    const problems: { column: string; reason: string; value: unknown }[] = [];
    for (let i = 0; i < cols.length; i++) {
      const c = cols[i]!;
      const v = values[c.name];
      out[i] = null;
      if (v === null || v === undefined) {
        if (c.notNull) problems.push({ column: c.name, reason: `missing: ${c.name} is NOT NULL`, value: null });
        continue;
      }
      const r = coerce(c.type, v, this.#canonical, this.#coerce);
      if (!r.ok) {
        problems.push({ column: c.name, reason: r.reason, value: v });
        continue;
      }
      if (r.notes) for (const note of r.notes) (notes ??= []).push({ column: c.name, note });
      if (r.value === null && c.notNull) problems.push({ column: c.name, reason: `missing: ${c.name} is NOT NULL`, value: v });
      out[i] = r.value;
    }
    const row: Row = rowFactory(table)(out);
    if (problems.length === 0) {
      for (const fk of spec.foreignKeys) {
        const parent = row[fk.column];
        if (parent === null) continue;
        // `document d2`, `user_profile with user_id u9` (a reference to another column than id).
        const ref = fk.references;
        // The reference as stored: a U+0000 or lone surrogate in it is printed (escaped), since
        // LibSQL looks the parent up by those exact bytes, not by the sanitized text.
        const raw = values[fk.column];
        const exact = typeof raw === 'string' && raw !== parent ? sampleValue(raw) : String(parent);
        const label = `${ref.table.replace(/s$/, '')} ${ref.column === 'id' ? '' : `with ${ref.column} `}${exact}`;
        const why = exact === String(parent) ? '' : ` (the reference holds U+0000 or a lone surrogate: no parent has these exact characters; after the text policy it would read ${sampleValue(parent)})`;
        if (meta.parentExists && meta.parentExists[fk.column] === false) problems.push({ column: fk.column, reason: `orphan: ${label} missing${why}`, value: raw });
        else {
          const k = refKey(ref.table, ref.column);
          if (this.#rejected.get(k)?.has(String(parent)) && !this.#held.get(k)?.has(String(parent))) problems.push({ column: fk.column, reason: `orphan: ${label} was rejected`, value: parent });
        }
      }
    }
    if (problems.length > 0) {
      const [first, ...more] = problems;
      const reason = more.length ? `${first!.reason}; also ${more.map((p) => `${p.column}: ${p.reason}`).join('; ')}` : first!.reason;
      return fail(id, first!.column, reason, first!.value);
    }
    if (this.#uniqueKeys) {
      const keys = UNIQUE_KEYS.get(table);
      if (keys) {
        let seen = this.#keys.get(table);
        if (!seen) this.#keys.set(table, (seen = keys.map(() => new Map())));
        for (let k = 0; k < keys.length; k++) {
          const key = uniqueKeyOf(row, keys[k]!);
          const holder = key === null ? undefined : seen[k]!.get(key);
          // Not marked as rejected: the holder stands for this key, so children referencing it are fine.
          if (holder !== undefined) return fail(id, keys[k]![0]!, duplicateKeyReason(table, keys[k]!, row, holder), values[keys[k]![0]!], false);
        }
        for (let k = 0; k < keys.length; k++) {
          const key = uniqueKeyOf(row, keys[k]!);
          if (key !== null) seen[k]!.set(key, id);
        }
      }
    }
    this.#hold(table, row);
    return { ok: true, row, notes };
  }
}
