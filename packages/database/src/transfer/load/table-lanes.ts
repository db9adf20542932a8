import { tables, type TableName } from '../../schema/tables.js';

/**
 * Splits the tables of a load into lanes that may run at the same time: the biggest table that no
 * foreign key ties to another table of the load gets a lane of its own, the others follow one
 * another in the given (foreign-key) order in a second lane. So the small tables load while the
 * big one does (as pgloader loads tables in parallel), and a child table still starts only after
 * its parent table is complete (its orphans are known). One lane when there is nothing to split.
 *
 * @param rows rows per table (the counts of the snapshot, or of metadata.json).
 */
export function tableLanes(order: readonly TableName[], rows: ReadonlyMap<TableName, number>): TableName[][] {
  const tied = (t: TableName) =>
    tables[t].foreignKeys.some((fk) => order.includes(fk.references.table)) ||
    order.some((o) => o !== t && tables[o].foreignKeys.some((fk) => fk.references.table === t));
  let big: TableName | null = null;
  for (const t of order) if (!tied(t) && (big === null || (rows.get(t) ?? 0) > (rows.get(big) ?? 0))) big = t;
  const rest = order.filter((t) => t !== big);
  return big === null || rest.length === 0 ? [[...order]] : [[big], rest];
}

/**
 * Runs `run` for every table, lane by lane in parallel ({@link tableLanes}; one lane when
 * `parallel` is false), tables of one lane in order. When a table fails, the other lanes are told to stop (`signal`) and awaited, so no
 * batch is still in flight when this rejects with the first error.
 *
 * @returns the results in the order of `order`.
 */
export async function runInLanes<T>(
  order: readonly TableName[],
  rows: ReadonlyMap<TableName, number>,
  run: (table: TableName, signal: AbortSignal) => Promise<T>,
  outer?: AbortSignal,
  parallel = true,
): Promise<T[]> {
  const stop = new AbortController();
  const onOuter = () => stop.abort(outer!.reason);
  if (outer?.aborted) stop.abort(outer.reason);
  else outer?.addEventListener('abort', onOuter, { once: true });
  const results = new Map<TableName, T>();
  let first: { e: unknown } | null = null;
  try {
    await Promise.all(
      (parallel ? tableLanes(order, rows) : [[...order]]).map(async (lane) => {
        try {
          for (const table of lane) {
            stop.signal.throwIfAborted();
            results.set(table, await run(table, stop.signal));
          }
        } catch (e) {
          first ??= { e };
          stop.abort(e);
        }
      }),
    );
  } finally {
    outer?.removeEventListener('abort', onOuter);
  }
  if (first) throw (first as { e: unknown }).e;
  return order.map((t) => results.get(t)!);
}
