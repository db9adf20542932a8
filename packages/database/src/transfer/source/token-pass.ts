import { tables, type TableName } from '../../schema/tables.js';
import { scanTokenChunk, type ScannedChunk } from './token-chunk.js';
import { CopyTextEncoder, type CopyRows, type CopyTextSpec } from '../convert/copy-text.js';

/** What a token pass reads (token-chunk.ts); plain data, so it can be posted to a reader thread. */
export interface TokenPassSpec {
  readonly table: TableName;
  /** The source's columns of the table. */
  readonly present: readonly string[];
  /** At most this many rows per chunk (fewer while rows are large, see {@link chunkBytes}). */
  readonly chunkRows: number;
  /** Bytes of tokens per chunk aimed at. */
  readonly chunkBytes: number;
  /** The chunk query (`tokenChunkSql`). */
  readonly sql: string;
  /** `SELECT <the value-by-value select list> FROM <table> t`: reads rows again by rowid (`WHERE t.rowid IN (…)` is appended). */
  readonly select: string;
  /** Copy's byte path (convert/copy-text.ts): encode the rows that need no conversion as COPY text, in the reading thread. */
  readonly copyText?: CopyTextSpec | undefined;
}

/** A scanned chunk and the raw rows (value-by-value select, rowid first) of the rows it says to read again. */
export interface PassChunk extends ScannedChunk {
  readonly again: unknown[][];
  /** With `spec.copyText`: the COPY text of the rows that need no conversion. */
  readonly copy?: CopyRows | undefined;
}

/** Runs one read-only statement in the snapshot, rows as arrays. */
export type Query = (sql: string, args: readonly unknown[]) => Promise<unknown[][]>;

/** Rowids per `IN (…)` list when rows are read again. */
const REREAD_BATCH = 500;

/**
 * The second pass of source.ts (text ids in `(id, rowid)` order) as token chunks: reads, scans,
 * reads again by rowid the rows tokens cannot carry, and moves the keyset past each chunk. The
 * same code runs in this thread or in the reader thread (reader-thread.ts), which reads ahead.
 * @throws Error when a chunk does not scan (token-chunk.ts), or a row to read again is gone.
 */
export async function* tokenPass(all: Query, spec: TokenPassSpec): AsyncGenerator<PassChunk> {
  const present = new Set(spec.present);
  const idIndex = 1 + tables[spec.table].columns.findIndex((c) => c.name === 'id');
  let key: unknown = new Uint8Array(0);
  let rowid = -1n;
  let limit = spec.chunkRows;
  const encoder = spec.copyText ? new CopyTextEncoder(spec.table, spec.copyText) : null;
  for (;;) {
    const [r] = await all(spec.sql, [key, rowid, limit]);
    const n = Number(r?.[1] ?? 0);
    if (n === 0) return;
    const b = r![0];
    const blob = b instanceof Uint8Array ? b : new Uint8Array(b as ArrayBuffer);
    const scan = scanTokenChunk(spec.table, present, blob, n);
    limit = Math.max(1, Math.min(spec.chunkRows, Math.floor((n * spec.chunkBytes) / Math.max(1, blob.byteLength))));
    const rowids: bigint[] = [];
    for (let i = 0; i < n; i++) if (scan.reread[i] === 1) rowids.push(scan.rowids[i]!);
    const again: unknown[][] = [];
    for (let i = 0; i < rowids.length; i += REREAD_BATCH) {
      const part = rowids.slice(i, i + REREAD_BATCH);
      again.push(...(await all(`${spec.select} WHERE t.rowid IN (${part.map(() => '?').join(', ')})`, part)));
    }
    rowid = scan.lastRowid;
    // A copy (`Buffer#slice` would be a view): the blob may be posted away to another thread.
    if (scan.lastIdStart >= 0) key = new Uint8Array(blob.subarray(scan.lastIdStart, scan.lastIdEnd));
    else {
      const last = again.find((a) => a[0] === rowid);
      if (!last) throw new Error(`${spec.table}: row ${rowid} vanished from the snapshot`);
      key = last[idIndex];
    }
    yield { ...scan, again, copy: encoder?.encode(scan) };
  }
}
