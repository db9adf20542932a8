import type { Routing } from '../config/phase.js';
import { describeError, isConnectionError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { TableName } from '../schema/tables.js';
import type { FindOptions, Row, RowChange, SearchSpec, Store, Where } from '../stores/store.js';
import type { CompareSpec, ReadComparer } from './compare-reads.js';
import { LatencyWindow } from './latency.js';
import type { ShadowSink } from './shadow-sink.js';
import { shadowKey } from './shadow-key.js';

/** How long a phase-5 read waits for this process's earlier shadow writes, in ms. */
export const READ_YOUR_WRITES_WAIT_MS = 1_000;

/**
 * The router: a {@link Store} that wraps the primary, the read backend and the shadow queue
 * (Kysely's RuntimeDriver shape). Writes go to the primary; once it commits, the committed row
 * states are handed to the shadow queue. Reads go to the phase's read backend; in phase 5 a read
 * first waits (≤ {@link READ_YOUR_WRITES_WAIT_MS}) for this process's earlier shadow writes, and
 * reads the primary if they have not landed, so a read right after a write sees it. A sampled share
 * of reads served by the read backend is also run on the other backend and compared, off the
 * caller's path (compare-reads.ts).
 */
export class RoutedStore implements Store {
  readonly kind = 'routed' as const;
  readonly #primary: Store;
  readonly #reads: Store;
  readonly #shadow: ShadowSink | null;
  readonly #routing: Routing;
  readonly #log: Logger;
  /** Compared reads (compare-reads.ts): a sampled share of reads also runs on the other backend, off the caller's path. */
  readonly #comparer: ReadComparer | null;
  /** Primary write latency per call (ms), histogram by operation (`insert`, `update`, `delete`, `transaction`, `applyChanges`). */
  readonly primaryLatency = new LatencyWindow();
  /** Read latency per call (ms), histogram by operation (`get`, `find`, `count`, `searchMessages`). */
  readonly readLatency = new LatencyWindow();
  /** Phase-5 reads served by the primary because shadow writes had not landed in time. */
  readFallbacks = 0;

  constructor(args: { primary: Store; reads: Store; shadow: ShadowSink | null; routing: Routing; logger: Logger; comparer?: ReadComparer | null }) {
    this.#primary = args.primary;
    this.#reads = args.reads;
    this.#shadow = args.shadow;
    this.#routing = args.routing;
    this.#log = args.logger;
    this.#comparer = args.comparer ?? null;
  }

  #afterCommit(changes: RowChange[]): void {
    if (this.#shadow && changes.length > 0) this.#shadow.enqueue(shadowKey(changes), changes);
  }

  async #write<T>(operation: string, fn: (s: Store) => Promise<T>, changesOf: (r: T) => RowChange[]): Promise<T> {
    const t0 = performance.now();
    const result = await fn(this.#primary);
    this.primaryLatency.record(performance.now() - t0, operation);
    this.#afterCommit(changesOf(result));
    return result;
  }

  async #read<T>(operation: string, fn: (s: Store) => Promise<T>, compare: CompareSpec): Promise<T> {
    const t0 = performance.now();
    let store = this.#reads;
    if (this.#routing.phase === '5' && this.#shadow && !(await this.#shadow.barrier(READ_YOUR_WRITES_WAIT_MS))) {
      this.#fallback('shadow writes not landed');
      store = this.#primary;
    }
    let r: T;
    try {
      r = await fn(store);
    } catch (e) {
      // Phase 5 reads PostgreSQL, but LibSQL is still the primary and holds every row: a read
      // PostgreSQL cannot answer is served by the primary instead of failing the caller.
      if (this.#routing.phase !== '5' || store === this.#primary || !isConnectionError(e)) throw e;
      this.#fallback(`read backend failed: ${describeError(e).code}`);
      store = this.#primary;
      r = await fn(store);
    }
    this.readLatency.record(performance.now() - t0, operation);
    // After the answer is final; the comparer only samples here, the compared read runs later.
    this.#comparer?.offer(compare, store, fn, r);
    return r;
  }

  #fallback(reason: string): void {
    this.readFallbacks++;
    this.#log.warn({ event: 'read_fallback', phase: '5', reason }, 'read served by the primary');
  }

  insert(table: TableName, row: Row) {
    return this.#write('insert', (s) => s.insert(table, row), (r) => [{ table, op: 'upsert', row: r }]);
  }
  update(table: TableName, id: string, patch: Row, opts: { now: number; expectedVersion?: number | undefined }) {
    return this.#write('update', (s) => s.update(table, id, patch, opts), (r) => [{ table, op: 'upsert', row: r }]);
  }
  delete(table: TableName, id: string, now: number) {
    return this.#write('delete', (s) => s.delete(table, id, now), (r) => (r ? [r] : []));
  }
  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    const changes: RowChange[] = [];
    const t0 = performance.now();
    const result = await this.#primary.transaction((tx) => fn(new CollectingStore(tx, changes)));
    this.primaryLatency.record(performance.now() - t0, 'transaction');
    this.#afterCommit(changes);
    return result;
  }
  applyChanges(changes: readonly RowChange[], opts?: { signal?: AbortSignal }) {
    return this.#write('applyChanges', (s) => s.applyChanges(changes, opts), () => [...changes]);
  }

  get(table: TableName, id: string) {
    return this.#read('get', (s) => s.get(table, id), { call: `get.${table}`, table, shape: 'one', ordered: true });
  }
  find(table: TableName, where: Where, opts: FindOptions) {
    // Ordered when the order includes the unique id (every service's order ends in it); else compared as a set.
    const ordered = opts.orderBy.some(([c]) => c === 'id');
    return this.#read('find', (s) => s.find(table, where, opts), { call: `find.${table}`, table, shape: 'list', ordered });
  }
  count(table: TableName, where: Where) {
    return this.#read('count', (s) => s.count(table, where), { call: `count.${table}`, table, shape: 'count', ordered: false });
  }
  tombstoneVersion(table: TableName, id: string) {
    return this.#primary.tombstoneVersion(table, id);
  }
  searchMessages(spec: SearchSpec) {
    // Newest first, ties on timestamp by id descending on both backends: hit set, values and order compared.
    return this.#read('searchMessages', (s) => s.searchMessages(spec), { call: 'searchMessages', table: 'messages', shape: 'list', ordered: true });
  }
  ping() {
    return this.#primary.ping();
  }
  async close() {}
}

/** Inside a routed transaction: everything on the primary's transaction, changes collected for after commit. */
class CollectingStore implements Store {
  readonly kind: Store['kind'];
  constructor(
    private readonly tx: Store,
    private readonly changes: RowChange[],
  ) {
    this.kind = tx.kind;
  }
  async insert(table: TableName, row: Row) {
    const r = await this.tx.insert(table, row);
    this.changes.push({ table, op: 'upsert', row: r });
    return r;
  }
  async update(table: TableName, id: string, patch: Row, opts: { now: number; expectedVersion?: number | undefined }) {
    const r = await this.tx.update(table, id, patch, opts);
    this.changes.push({ table, op: 'upsert', row: r });
    return r;
  }
  async delete(table: TableName, id: string, now: number) {
    const r = await this.tx.delete(table, id, now);
    if (r) this.changes.push(r);
    return r;
  }
  async applyChanges(changes: readonly RowChange[], opts?: { signal?: AbortSignal }) {
    await this.tx.applyChanges(changes, opts);
    this.changes.push(...changes);
  }
  get(table: TableName, id: string) {
    return this.tx.get(table, id);
  }
  find(table: TableName, where: Where, opts: FindOptions) {
    return this.tx.find(table, where, opts);
  }
  count(table: TableName, where: Where) {
    return this.tx.count(table, where);
  }
  tombstoneVersion(table: TableName, id: string) {
    return this.tx.tombstoneVersion(table, id);
  }
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    return fn(this);
  }
  searchMessages(spec: SearchSpec) {
    return this.tx.searchMessages(spec);
  }
  ping() {
    return this.tx.ping();
  }
  async close() {}
}
