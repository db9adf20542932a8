import { heapPacer } from '../../heap-pacer.js';
import type { TableName } from '../../schema/tables.js';
import { countNotes, type Converter, type ConvertMeta } from '../convert/convert.js';
import { InFlight, type Slots } from './in-flight.js';
import { PgBatch, PgLoader } from './pg-loader.js';
import type { Target } from './pg-target.js';
import type { RejectFile } from '../files/reject-file.js';
import type { Row } from '../../stores/store.js';
import { MAX_HELD_ROWS, mayExceedIndexRow } from './held-rows.js';
import { emptySummary, type TableSummary, type TransferProgress } from '../summary.js';
import type { EncodedRow } from '../source/source.js';

/**
 * A full garbage collection every 32 MB of payload loaded (`heapPacer`). The live heap of a load is
 * small and flat (~15 MB); without it copy peaked at 137 MB at 100k messages and 208 MB at 1M, with
 * it 138 and 152 MB (~25 collections at 1M, about 0.5 s in all).
 */
const paceHeap = heapPacer(32 * 1024 * 1024);

/**
 * One row on its way in: raw values (as read) and the facts the converter takes (`rowid`,
 * `parentExists`: a source row of source.ts is a LoadItem as it is, nothing is copied).
 */
export interface LoadItem extends ConvertMeta {
  readonly values: Readonly<Record<string, unknown>>;
}

/** A row of copy's byte path (source.ts `copyRows`): already encoded as its COPY text line. */
const isEncoded = (item: LoadItem | EncodedRow): item is EncodedRow => (item as EncodedRow).copyText !== undefined;

/** Tuning and wiring of {@link loadTable}. */
export interface LoadTableOptions {
  /** The PostgreSQL target (pool and monitor connection). */
  readonly target: Pick<Target, 'sql' | 'monitor'>;
  readonly converter: Converter;
  readonly rejects: RejectFile;
  readonly stage: 'import' | 'copy';
  /** At most this many rows per batch (one transaction: one COPY, see pg-loader.ts). Default 5,000. */
  readonly batchRows?: number | undefined;
  /**
   * At most about this many bytes of COPY text per batch (UTF-16 code units of the encoded rows),
   * so a batch of a wide table (user_profiles, ~100 columns) holds no more data than one of a
   * narrow table, and memory does not depend on which table or how many rows. Default 2 MiB.
   */
  readonly batchBytes?: number | undefined;
  /** Batches in flight at once (each on its own pooled connection). Default 4. */
  readonly concurrency?: number | undefined;
  /** Connection slots shared with tables loading at the same time (table-lanes.ts); default: this table's own. */
  readonly slots?: Slots | undefined;
  /** Total rows expected, for progress (null when unknown). */
  readonly total?: number | null | undefined;
  readonly onProgress?: ((p: TransferProgress) => void) | undefined;
  /** Stops after the batches in flight (throws the signal's reason); a re-run resumes safely. */
  readonly signal?: AbortSignal | undefined;
  /** Bulk mode (load-mode.ts): which rows to hold back, and what to run once the rest is loaded. */
  readonly bulk?: BulkLoad | null | undefined;
}

/**
 * The hooks of a bulk load (load-mode.ts): rows whose values in `columns` may not fit an index row
 * (held-rows.ts) are held back; once every other row is written, `afterLoad` builds the deferred
 * indexes, and then the held rows are written by the usual path, so PostgreSQL refuses the ones no
 * index can hold (54000) and each is rejected alone, as in online mode.
 */
export interface BulkLoad {
  readonly columns: readonly string[];
  afterLoad(): Promise<void>;
}

/** Default of {@link LoadTableOptions.batchBytes}: 2 MiB of COPY text. */
export const DEFAULT_BATCH_BYTES = 2 << 20;

/**
 * Converts and loads one table into PostgreSQL, pipelined: while up to `concurrency` batches are
 * being written, the next chunk is read and converted. Each chunk is emptied once converted. Conversion rejects and PostgreSQL rejects
 * both go to `opts.rejects`; PostgreSQL rejects are marked on the converter so child rows
 * become orphans. Resolves when every batch of the table is written (so children load after
 * their parents). Throws on non-row errors (connection lost…): re-running is safe.
 */
export async function loadTable(table: TableName, chunks: AsyncIterable<Array<LoadItem | EncodedRow>>, opts: LoadTableOptions): Promise<TableSummary> {
  const started = performance.now();
  const s = emptySummary(table);
  const loader = new PgLoader(opts.target, table, opts.stage);
  const inFlight = new InFlight(opts.concurrency ?? 4, opts.slots);
  const batchRows = opts.batchRows ?? 5_000;
  const batchBytes = opts.batchBytes ?? DEFAULT_BATCH_BYTES;
  const progress = () => opts.onProgress?.({ stage: 'load', table, done: s.imported + s.rejected, total: opts.total ?? null });
  let batch = new PgBatch(table);
  /** Bulk mode: converted rows held back until the indexes are built (see {@link BulkLoad}). */
  const held: Row[] = [];

  const flush = async (b: PgBatch) => {
    paceHeap(b.bytes);
    opts.signal?.throwIfAborted();
    await inFlight.add(async () => {
      const r = await loader.load(b);
      b.release(); // settled: its COPY was acknowledged or rolled back
      s.written += r.written;
      s.unchanged += r.unchanged;
      s.imported += r.written + r.unchanged;
      for (const { row, reject } of r.rejected) {
        // A unique violation (23505: another row holds this user_profiles.user_id) leaves that
        // other row in place, so children referencing the value are not orphans: only the id is marked.
        opts.converter.markRejected(table, String(row.id), reject.reason.startsWith('postgres 23505') ? undefined : row);
        s.rejected++;
        await opts.rejects.add(reject, row);
      }
      progress();
    });
  };

  try {
    const full: PgBatch[] = [];
    for await (const chunk of chunks) {
      // The whole chunk is converted before waiting for a connection, then emptied: no row object
      // lives across that wait (V8 would promote the chunk to its old generation: GC cost, memory).
      for (const item of chunk) {
        s.read++;
        if (isEncoded(item)) {
          // The byte path: checked and encoded while read (convert/copy-text.ts), as `batch.add(convert(row))` would write it.
          opts.converter.follows(table, item.id);
          batch.addLine(item.id, item.copyText, item.start, item.end);
        } else {
          const c = opts.converter.convert(table, item.values, item);
          countNotes(s, c.notes);
          if (!c.ok) {
            s.rejected++;
            await opts.rejects.add(c.reject, item.values);
            continue;
          }
          if (opts.bulk && mayExceedIndexRow(c.row, opts.bulk.columns)) {
            if (held.length >= MAX_HELD_ROWS) {
              throw new Error(`${table}: more than ${MAX_HELD_ROWS} rows hold indexed values too big for a bulk load (over 2,000 bytes); run it with --load-mode online`);
            }
            held.push(c.row);
            continue;
          }
          batch.add(c.row);
        }
        if (batch.size >= batchRows || batch.bytes >= batchBytes) {
          full.push(batch);
          batch = new PgBatch(table);
        }
      }
      chunk.length = 0;
      for (const b of full.splice(0)) await flush(b);
    }
    if (batch.size > 0) await flush(batch);
    await inFlight.drain();
    if (opts.bulk) {
      await opts.bulk.afterLoad();
      for (const row of held.splice(0)) {
        batch = new PgBatch(table);
        batch.add(row);
        await flush(batch);
      }
      await inFlight.drain();
    }
  } catch (e) {
    await inFlight.drain().catch(() => {}); // let batches in flight finish before the pool closes
    throw e;
  }
  progress();
  s.seconds = (performance.now() - started) / 1000;
  return s;
}
