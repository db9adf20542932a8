import type { ColumnSpec } from '../../schema/columns.js';
import { tables, type TableName } from '../../schema/tables.js';
import { q } from '../../stores/table-sql.js';
import { concatSql } from '../sql-concat.js';

/**
 * The row layout of verify's key-ordered pass ("pass row"), built in SQL by both backends so that
 * neither driver decodes column values one by one. Columns in three groups, each in table-spec
 * order (`id` is the first column of every table):
 * - plain (`id`, `text`, `int`, `bigint`, `timestamp`, `millis`, `bool`): compared byte for byte (a
 *   `millis` value digit for digit: 1 ms is a difference);
 * - json: PostgreSQL sends `jsonb` text, LibSQL its stored text (compared in JS: pass-json-bytes.ts);
 * - real: PostgreSQL sends `float8send` hex, LibSQL the value itself (one query per row then).
 *
 * Tokens (the grammar is fixed per column position, so a row parses one way only):
 * | value                 | token                                   |
 * |-----------------------|-----------------------------------------|
 * | id, text              | `<UTF-8 byte length>:<bytes>`; NULL: `:` alone (no digits, unlike `0:`) |
 * | json                  | LibSQL: `<UTF-8 byte length>:<bytes>`, NULL `:`; PostgreSQL: the `jsonb` text, then U+0001 (NULL: U+0001 alone) |
 * | int, bigint, timestamp, millis | `<decimal>;`; NULL: `;` alone   |
 * | bool                  | `1` or `0`; NULL: `N`                   |
 * | real                  | PostgreSQL: 16 hex digits of `float8send`, NULL `N`; LibSQL: none (the values come as columns) |
 * NULL tokens are what `concat()` makes of NULL arguments on both backends (it skips them), so no
 * value needs a CASE or `coalesce` in SQL but booleans.
 * A LibSQL row with a value that is not in canonical storage (a text boolean, milliseconds in a
 * seconds column, a blob…) is sent as `X<rowid>;` alone instead of its tokens: the whole row is then read again and
 * converted in JS with coerce.ts (pass-convert.ts).
 */
export interface PassLayout {
  readonly table: TableName;
  readonly plain: readonly ColumnSpec[];
  readonly json: readonly ColumnSpec[];
  readonly real: readonly ColumnSpec[];
}

/** The pass layout of `table`. */
export function passLayout(table: TableName): PassLayout {
  const cols = tables[table].columns;
  return {
    table,
    plain: cols.filter((c) => c.type !== 'json' && c.type !== 'real'),
    json: cols.filter((c) => c.type === 'json'),
    real: cols.filter((c) => c.type === 'real'),
  };
}

const col = (c: ColumnSpec) => `m.${q(c.name)}`;

function pgToken(c: ColumnSpec): string {
  const v = col(c);
  switch (c.type) {
    case 'id':
    case 'text':
      return `octet_length(${v}), ':', ${v}`; // NULL: ':' (concat skips NULL arguments)
    case 'int':
    case 'bigint':
    case 'timestamp':
    case 'millis':
      return `${v}, ';'`; // NULL: ';'
    case 'bool':
      return `CASE WHEN ${v} THEN '1' WHEN NOT ${v} THEN '0' ELSE 'N' END`;
    default:
      throw new Error(`not a plain column: ${c.name}`);
  }
}

/**
 * PostgreSQL's plain tokens, with each run of NOT NULL text columns as one `||` chain (one
 * `concat()` argument): `textcat` appends the bytes, where `concat()` copies each argument
 * through its output function (≈ 5% less PostgreSQL CPU for messages). Only NOT NULL columns:
 * `||` with NULL gives NULL.
 */
function chainNotNullText(plain: readonly ColumnSpec[]): string[] {
  const out: string[] = [];
  let run: string[] = [];
  const flush = () => {
    if (run.length) out.push(run.join(' || '));
    run = [];
  };
  for (const c of plain) {
    if ((c.type === 'id' || c.type === 'text') && c.notNull) run.push(`octet_length(${col(c)}) || ':' || ${col(c)}`);
    else {
      flush();
      out.push(pgToken(c));
    }
  }
  flush();
  return out;
}

/** The byte ending PostgreSQL's json tokens (U+0001: `jsonb` text escapes every control character). */
export const PG_JSON_END = 1;
const PG_JSON_END_SQL = 'chr(1)';

/**
 * PostgreSQL's chunk query: one row `(b, n)`, `b` the chunk's pass rows concatenated (text),
 * `n` their number. Placeholders `?` (the bound id; omitted for the first chunk) and `?` (rows);
 * with `upTo`, the rows up to an id as well: `?` (the lower bound, unless first), `?` (the last
 * id, inclusive) and `?` (rows: a range is read on from its last row when it holds more, written
 * meanwhile; the limit also keeps PostgreSQL on the id index where it has no statistics yet, which
 * would otherwise bitmap-scan and sort the range).
 * The pass rows come in the order of the keyset subquery (PostgreSQL aggregates a sorted
 * subquery in its order; the reader checks the order when the id collation is bytewise); with
 * `sortInAggregate` the aggregate sorts by id itself (collations that are not bytewise).
 */
export function pgChunkSql(layout: PassLayout, after: boolean, sortInAggregate: boolean, upTo = false): string {
  const inner = [...layout.plain, ...layout.json, ...layout.real].map(col);
  const tokens = [
    ...chainNotNullText(layout.plain),
    // concat() writes jsonb as its text (NULL: nothing), which never holds a control character.
    ...layout.json.map((c) => `${col(c)}, ${PG_JSON_END_SQL}`),
    ...layout.real.map((c) => `coalesce(encode(float8send(${col(c)}), 'hex'), 'N')`),
  ];
  const conds = [...(after ? ['m.id > ?'] : []), ...(upTo ? ['m.id <= ?'] : [])];
  const where = conds.length ? `WHERE ${conds.join(' AND ')} ` : '';
  const order = sortInAggregate ? ' ORDER BY m.id' : '';
  return (
    `SELECT string_agg(${concatSql(tokens)}, ''${order}) AS b, count(*) AS n ` +
    `FROM (SELECT ${inner.join(', ')} FROM ${q(layout.table)} m ${where}ORDER BY m.id LIMIT ?) m`
  );
}

/**
 * PostgreSQL's chunk bounds: the id of every `?`-th row (in id order) after `?` (omitted with
 * `after` false), at most `?` of them, so chunk queries (`upTo`) can be sent before the previous
 * chunk has arrived. Rows `(id)`, in order; fewer than asked when the table ends. Placeholders:
 * the bound, the rows per chunk, the number of bounds. Each bound skips the rows per chunk on the
 * id index from the one before (a recursive query: about a fifth of the CPU of numbering the rows
 * with `row_number()`); reads only the id index (and the heap where the visibility map says so).
 */
export function pgBoundsSql(table: TableName, after: boolean): string {
  const t = q(table);
  return (
    `WITH RECURSIVE b(id, k) AS (` +
    `(SELECT m.id, 1 FROM ${t} m ${after ? 'WHERE m.id > ? ' : ''}ORDER BY m.id OFFSET ?::int - 1 LIMIT 1) ` +
    `UNION ALL SELECT n.id, b.k + 1 FROM b CROSS JOIN LATERAL ` +
    `(SELECT m.id FROM ${t} m WHERE m.id > b.id ORDER BY m.id OFFSET ?::int - 1 LIMIT 1) n WHERE b.k < ?::int` +
    `) SELECT b.id FROM b ORDER BY b.k`
  );
}

/** Seconds as coerce.ts takes them unchanged (beyond 10^11 means milliseconds). */
const SECONDS = 'BETWEEN -100000000000 AND 100000000000';

/**
 * Whether a LibSQL value is stored as import writes it (no coercion), without a function call per
 * value: SQLite orders NULL < numbers < text < blobs, and compares a column with a literal without
 * converting the stored value (a literal has no affinity), so
 * - `v >= '' AND v < x''` holds for text only; in a column of TEXT affinity (`textAffinity`),
 *   which stores numbers as their text, only text and blobs occur, and `v < x''` is enough;
 * - `v < ''` for integers and reals only (a real's text, `1.5` or `1.0e+20`, never equals an
 *   integer PostgreSQL prints, so it cannot pass as equal: the exact re-check sees it);
 * - timestamps: numbers in seconds; booleans: the integers 0 and 1 (`typeof`: a real 1.0 would
 *   not fit the one-byte token).
 * NULL passes in nullable columns.
 */
function sqliteCanonical(c: ColumnSpec, textAffinity: ReadonlySet<string>): string {
  const v = col(c);
  let test: string;
  switch (c.type) {
    case 'id':
    case 'text':
    case 'json':
      test = textAffinity.has(c.name) ? `${v} < x''` : `${v} >= '' AND ${v} < x''`;
      break;
    case 'int':
    case 'bigint':
    case 'millis':
      test = `${v} < ''`;
      break;
    case 'timestamp':
      test = `${v} ${SECONDS}`;
      break;
    case 'bool':
      test = `typeof(${v}) = 'integer' AND ${v} IN (0, 1)`;
      break;
    case 'real':
      throw new Error(`real columns have no LibSQL token: ${c.name}`);
  }
  return c.notNull ? test : `(${v} IS NULL OR ${test})`;
}

/**
 * Whether SQLite gives a column of this declared type TEXT affinity (sqlite.org/datatype3.html
 * §3.1: the type names `INT` → INTEGER first, then `CHAR`, `CLOB` or `TEXT` → TEXT).
 */
export function hasTextAffinity(declaredType: string): boolean {
  const t = declaredType.toUpperCase();
  return !t.includes('INT') && (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT'));
}

/** One LibSQL column's token, as PostgreSQL's (valid for a value that passes {@link sqliteCanonical}). */
function sqliteToken(c: ColumnSpec): string {
  const v = col(c);
  switch (c.type) {
    case 'id':
    case 'text':
    case 'json':
      return `octet_length(${v}), ':', ${v}`;
    case 'int':
    case 'bigint':
    case 'timestamp':
    case 'millis':
      return `${v}, ';'`;
    case 'bool':
      return c.notNull ? v : `coalesce(${v}, 'N')`;
    case 'real':
      throw new Error(`real columns have no LibSQL token: ${c.name}`);
  }
}

/** A LibSQL pass row: the tokens when every value is in canonical storage, else `X<rowid>;` (the row is converted in JS). */
function sqliteRow(layout: PassLayout, textAffinity: ReadonlySet<string>): string {
  const cols = [...layout.plain, ...layout.json];
  return `CASE WHEN ${cols.map((c) => sqliteCanonical(c, textAffinity)).join(' AND ')} THEN ${concatSql(cols.map(sqliteToken))} ELSE 'X' || m.rowid || ';' END`;
}

/**
 * How the LibSQL chunk query bounds its keyset: none (first chunk), after a text id (given as its
 * bytes, so ids that are not UTF-8 bound exactly), after any other stored value (an integer or
 * blob id), or after NULL ids (which sort first).
 */
export type SqliteBound = 'first' | 'text' | 'value' | 'null';

/**
 * LibSQL's chunk query. Tables without real columns: one row `(b, n)`, `b` the pass rows as a
 * BLOB (never decoded as text by the driver: text that is not UTF-8 cannot crash it), `n` their
 * number. Tables with real columns: one row per pass row, `(b, rowid, real1, real2, …)`. Placeholders:
 * the bound (for `text` a BLOB of the id's bytes; none for `first` and `null`), then the row limit.
 * `textAffinity`: the columns SQLite gives TEXT affinity ({@link hasTextAffinity}; default none,
 * the test that holds whatever the declared types).
 */
export function sqliteChunkSql(layout: PassLayout, bound: SqliteBound, textAffinity: ReadonlySet<string> = new Set()): string {
  const row = sqliteRow(layout, textAffinity);
  const where = { first: '', text: 'WHERE m.id > CAST(? AS TEXT) ', value: 'WHERE m.id > ? ', null: 'WHERE m.id IS NOT NULL ' }[bound];
  const from = `FROM ${q(layout.table)} m ${where}ORDER BY m.id LIMIT ?`;
  if (layout.real.length > 0) return `SELECT CAST(${row} AS BLOB) AS b, m.rowid, ${layout.real.map(col).join(', ')} ${from}`;
  return `SELECT CAST(group_concat(r, '') AS BLOB) AS b, count(*) AS n FROM (SELECT ${row} AS r ${from})`;
}
