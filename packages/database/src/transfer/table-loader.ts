import type { TableName } from '../schema/tables.js';
import { countNotes, type Converter, type ConvertMeta } from './convert.js';
import { InFlight } from './in-flight.js';
import { PgBatch, PgLoader } from './pg-loader.js';
import type { Target } from './pg-target.js';
import type { RejectFile } from './reject-file.js';
import { emptySummary, type TableSummary, type TransferProgress } from './summary.js';

/** One row on its way in: raw values (as read) and facts for the converter. */
export interface LoadItem {
  readonly values: Readonly<Record<string, unknown>>;
  readonly meta?: ConvertMeta | undefined;
}

/** Tuning and wiring of {@link loadTable}. */
export interface LoadTableOptions {
  /** The PostgreSQL target (pool and monitor connection). */
  readonly target: Pick<Target, 'sql' | 'monitor'>;
  readonly converter: Converter;
  readonly rejects: RejectFile;
  readonly stage: 'import' | 'copy';
  /** Rows per batch (one COPY + one guarded INSERT). Default 5,000. */
  readonly batchRows?: number | undefined;
  /** Approximate payload bytes per batch (large rows make smaller batches). Default 8 MiB. */
  readonly batchBytes?: number | undefined;
  /** Batches in flight at once (each on its own pooled connection). Default 4. */
  readonly concurrency?: number | undefined;
  /** Total rows expected, for progress (null when unknown). */
  readonly total?: number | null | undefined;
  readonly onProgress?: ((p: TransferProgress) => void) | undefined;
  /** Stops after the batches in flight (throws the signal's reason); a re-run resumes safely. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Converts and loads one table into PostgreSQL, pipelined: while up to `concurrency` batches are
 * being written, the next chunk is read and converted. Conversion rejects and PostgreSQL rejects
 * both go to `opts.rejects`; PostgreSQL rejects are marked on the converter so child rows
 * become orphans. Resolves when every batch of the table is written (so children load after
 * their parents). Throws on non-row errors (connection lost…): re-running is safe.
 */
export async function loadTable(table: TableName, chunks: AsyncIterable<readonly LoadItem[]>, opts: LoadTableOptions): Promise<TableSummary> {
  const started = performance.now();
  const s = emptySummary(table);
  const loader = new PgLoader(opts.target, table, opts.stage);
  const inFlight = new InFlight(opts.concurrency ?? 4);
  const batchRows = opts.batchRows ?? 5_000;
  const batchBytes = opts.batchBytes ?? 8 << 20;
  const progress = () => opts.onProgress?.({ stage: 'load', table, done: s.imported + s.rejected, total: opts.total ?? null });
  let batch = new PgBatch(table);

  const flush = async () => {
    const b = batch;
    batch = new PgBatch(table);
    opts.signal?.throwIfAborted();
    await inFlight.add(async () => {
      const r = await loader.load(b);
      s.written += r.written;
      s.unchanged += r.unchanged;
      s.imported += r.written + r.unchanged;
      for (const { row, reject } of r.rejected) {
        opts.converter.markRejected(table, String(row.id));
        s.rejected++;
        await opts.rejects.add(reject, row);
      }
      progress();
    });
  };

  try {
    for await (const chunk of chunks) {
      for (const item of chunk) {
        s.read++;
        const c = opts.converter.convert(table, item.values, item.meta);
        countNotes(s, c.notes);
        if (!c.ok) {
          s.rejected++;
          await opts.rejects.add(c.reject, item.values);
          continue;
        }
        batch.add(c.row);
        if (batch.size >= batchRows || batch.bytes >= batchBytes) await flush();
      }
    }
    if (batch.size > 0) await flush();
    await inFlight.drain();
  } catch (e) {
    await inFlight.drain().catch(() => {}); // let batches in flight finish before the pool closes
    throw e;
  }
  progress();
  s.seconds = (performance.now() - started) / 1000;
  return s;
}
