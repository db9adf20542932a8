import type { PassChunk } from './pass-chunk.js';
import type { PassLayout } from './pass-sql.js';

/** Reads one side of a table in key order, one chunk ahead of the caller. */
export interface PassReader {
  /** The next chunk, or null at the end. */
  next(): Promise<PassChunk | null>;
  close(): Promise<void>;
}

/**
 * Bytes of pass rows per chunk and side (2 MiB): what bounds verify's memory, whatever the width
 * of a table's rows (a 130-column profile is ~10× a message), so peak memory does not depend on
 * which table or how many rows. Measured: larger chunks gain nothing; far smaller ones pay the
 * round trip per chunk.
 */
export const CHUNK_BYTES = 2 * 1024 * 1024;

/** Rows of the first chunk are estimated at this many bytes per column. */
const FIRST_GUESS_BYTES_PER_COLUMN = 32;

/** Rows per chunk from the bytes per row seen so far: at most `maxRows`, about {@link CHUNK_BYTES}. */
export class ChunkSizer {
  #bytesPerRow: number;

  constructor(
    layout: PassLayout,
    readonly maxRows: number,
  ) {
    this.#bytesPerRow = FIRST_GUESS_BYTES_PER_COLUMN * (layout.plain.length + layout.json.length + layout.real.length);
  }

  /** Rows to ask for next. */
  rows(): number {
    return Math.max(16, Math.min(this.maxRows, Math.floor(CHUNK_BYTES / this.#bytesPerRow)));
  }

  /** Records a chunk: `rows` rows in `bytes` bytes (a moving average, weighted to the recent). */
  observe(rows: number, bytes: number): void {
    if (rows <= 0) return;
    const seen = bytes / rows;
    this.#bytesPerRow = Math.max(8, seen >= this.#bytesPerRow ? seen : (this.#bytesPerRow + seen) / 2);
  }
}
