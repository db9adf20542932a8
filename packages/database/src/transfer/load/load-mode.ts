import type { TableName } from '../../schema/tables.js';
import { chooseLoadMode, listDeferredIndexes, rebuildDeferredIndexes, type LoadMode, type TableLoadMode } from './deferred-indexes.js';
import { btreeColumns } from './held-rows.js';
import type { BulkLoad } from './table-loader.js';
import type { Target } from './pg-target.js';
import { describeHolders, type LockHolder } from './lock-wait.js';

/** What a table's load mode did: the choice, and the rebuild of its deferred indexes (bulk). */
export interface TableModeReport extends TableLoadMode {
  readonly table: TableName;
  /** Wall time of the index rebuild after the load, in seconds (0 for online). */
  readonly rebuildSeconds: number;
}

/** Callbacks of a load's mode handling (the CLI prints them on stderr). */
export interface LoadModeEvents {
  /** The final sweep waits for a deferred index another session holds ({@link sweepDeferredIndexes}). */
  readonly onWarning?: ((message: string) => void) | undefined;
  /** A table's mode was chosen (before its first row is written). */
  readonly onLoadMode?: ((table: TableName, m: TableLoadMode) => void) | undefined;
  /** A deferred index was built again (after a bulk load, or recovered from an earlier killed run); ms = build wall time. */
  readonly onIndexBuilt?: ((index: string, table: string, ms: number) => void) | undefined;
}

/**
 * Recovery step every copy/import (and `db migrate --target postgres`) runs first: builds the
 * indexes an earlier bulk load deferred and did not rebuild (it was killed, or failed).
 * @returns the names of the indexes built.
 */
export function recoverDeferredIndexes(target: Pick<Target, 'sql'>, ev: LoadModeEvents = {}): Promise<string[]> {
  return rebuildDeferredIndexes(target.sql, { onBuilt: ev.onIndexBuilt });
}

/**
 * Last step of every copy/import: builds the indexes still recorded as deferred once every table
 * has loaded, waiting for those another session holds (deferred-indexes.ts `rebuildDeferredIndexes`
 * with `wait`). The first step skipped them so the load could start; they are the ones a killed
 * run's backend was still building, which PostgreSQL rolls back when it finds the client gone. So a
 * load that succeeds never leaves an index missing. While it waits it says so (`onWarning`), naming
 * the session that holds the index, when the wait begins and every 30 s; `signal` (Ctrl-C) ends the
 * wait, the index staying recorded for the next run.
 * @returns the names of the indexes built.
 * @throws the signal's reason when it fires during a wait; what postgres.js throws.
 */
export function sweepDeferredIndexes(target: Pick<Target, 'sql'>, ev: LoadModeEvents & { readonly signal?: AbortSignal | undefined } = {}): Promise<string[]> {
  return rebuildDeferredIndexes(target.sql, {
    wait: true,
    onBuilt: ev.onIndexBuilt,
    signal: ev.signal,
    onWait: (index, table, holders, ms) => ev.onWarning?.(waitWarning(index, table, holders, ms)),
  });
}

/**
 * The sweep's warning: `waiting for index messages_search_idx on messages: another session holds
 * it, pid 4242 (application "…", idle in transaction, transaction open 95 s) …` and how to end the
 * wait; later ones begin `still waiting for index … after 30 s`.
 */
export function waitWarning(index: string, table: string, holders: readonly LockHolder[], waitedMs: number): string {
  const s = Math.round(waitedMs / 1000);
  const head = s < 5 ? `waiting for index ${index} on ${table}` : `still waiting for index ${index} on ${table} after ${s} s`;
  const pids = holders.map((h) => h.pid);
  const end = pids.length === 1 ? ` If that session is stuck, ending it (SELECT pg_terminate_backend(${pids[0]})) lets this run build the index; Ctrl-C stops the wait and leaves the index for the next run.` : ' Ctrl-C stops the wait and leaves the index for the next run.';
  return `${head}: another session holds it, ${describeHolders(holders)} (an earlier run killed during its build?); it is built here unless that session finishes it.${end}`;
}

/**
 * Loads one table in the mode `mode` resolves to (deferred-indexes.ts `chooseLoadMode`): for bulk,
 * its secondary indexes are dropped (and recorded) before `load` and built again after it, one
 * pass each, by `load` through `bulk.afterLoad` (table-loader.ts: rows that may not fit an index
 * row are held back and written after it, so they are rejected as in online mode). When `load` throws, the indexes stay recorded as deferred: the next copy, import or
 * migrate builds them (status shows them, gate refuses until then).
 */
export async function loadInMode<T>(
  target: Pick<Target, 'sql'>,
  table: TableName,
  mode: LoadMode,
  ev: LoadModeEvents,
  load: (bulk: BulkLoad | null) => Promise<T>,
): Promise<{ value: T; mode: TableModeReport }> {
  const m = await chooseLoadMode(target.sql, table, mode);
  ev.onLoadMode?.(table, m);
  let rebuildSeconds = 0;
  let rebuilt = false;
  const rebuild = async () => {
    if (rebuilt) return;
    rebuilt = true;
    const t0 = performance.now();
    await rebuildDeferredIndexes(target.sql, { table, onBuilt: ev.onIndexBuilt });
    rebuildSeconds = (performance.now() - t0) / 1000;
  };
  const bulk: BulkLoad | null =
    m.mode === 'bulk' ? { columns: btreeColumns((await listDeferredIndexes(target.sql, table)).map((d) => d.definition)), afterLoad: rebuild } : null;
  const value = await load(bulk);
  if (bulk) await rebuild(); // a loader that did not call afterLoad
  return { value, mode: { ...m, table, rebuildSeconds } };
}

/** One line per table for the CLI: `messages: bulk (empty target table; 11 indexes deferred, rebuilt in 21.3 s)`. */
export function formatLoadModes(modes: readonly TableModeReport[]): string {
  return modes
    .map((m) => `  ${m.table}: ${m.mode} (${m.reason}${m.mode === 'bulk' ? `; ${m.deferred.length} indexes deferred, rebuilt in ${m.rebuildSeconds.toFixed(1)} s` : ''})`)
    .join('\n');
}

/** The dry run's one line: `load modes (--load-mode auto): messages bulk, queries online, …`. */
export function formatPlannedLoadModes(mode: LoadMode, planned: ReturnType<typeof plannedLoadModes>): string {
  return `load modes (--load-mode ${mode}): ${planned.map((m) => `${m.table} ${m.mode}`).join(', ')}`;
}

/**
 * What a load says when it ends: the indexes it built for an earlier killed load (when
 * any), then one line per table ({@link formatLoadModes}).
 */
export function formatLoadReport(mode: LoadMode, recoveredIndexes: readonly string[], modes: readonly TableModeReport[]): string {
  const recovered = recoveredIndexes.length > 0 ? `\nRebuilt ${recoveredIndexes.length} indexes an earlier bulk load had left deferred: ${recoveredIndexes.join(', ')}\n` : '';
  return `${recovered}\nLoad modes (--load-mode ${mode}):\n${formatLoadModes(modes)}`;
}

/**
 * What `--dry-run` says: the mode each table would get, from its row count in PostgreSQL now
 * (a shadow write landing before the load starts can still turn auto's bulk into online).
 */
export function plannedLoadModes(mode: LoadMode, counts: Readonly<Record<string, number>>, order: readonly TableName[]): { table: TableName; mode: 'bulk' | 'online' }[] {
  return order.map((table) => ({ table, mode: mode === 'online' ? 'online' : mode === 'bulk' || (counts[table] ?? 0) === 0 ? 'bulk' : 'online' }));
}
