import { tables, type TableName } from '../../schema/tables.js';

/**
 * Builds a table's row object from its values in spec column order, as ONE object literal.
 *
 * Why: a row filled column by column with computed keys (`row[c.name] = v`) turns V8 objects into
 * dictionaries beyond 16 properties (V8 keeps keyed stores "fast" only up to 12 properties outside
 * the object), so every read and write of a 25-column message hashed its key; a profile of copy at
 * 1M messages showed the dictionary's inserts and rehashes among the top costs. An object literal
 * gets one hidden class per table, shared by all its rows.
 *
 * The generated function only names the spec's columns (`JSON.stringify`-quoted), never data.
 */
export type RowFactory = (values: ArrayLike<unknown>) => Record<string, unknown>;

const cache = new Map<TableName, RowFactory>();

/** The {@link RowFactory} of `table` (keys: the spec's column names, in order). */
export function rowFactory(table: TableName): RowFactory {
  let f = cache.get(table);
  if (!f) {
    const names = tables[table].columns.map((c) => c.name);
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- column names of our own spec, quoted: see the comment above
    f = new Function('v', `return { ${names.map((n, i) => `${JSON.stringify(n)}: v[${i}]`).join(', ')} };`) as RowFactory;
    cache.set(table, f);
  }
  return f;
}
