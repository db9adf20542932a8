import v8 from 'node:v8';
import { heapPacer } from '../../heap-pacer.js';
import type { PassChunk } from './pass-chunk.js';
import type { PassLayout } from './pass-sql.js';

/** Reads one side of a table in key order, one chunk ahead of the caller. */
export interface PassReader {
  /** The next chunk, or null at the end. */
  next(): Promise<PassChunk | null>;
  close(): Promise<void>;
}

/**
 * Bytes of pass rows per chunk and side (512 KiB): what bounds verify's memory, whatever the width
 * of a table's rows (a 130-column profile is ~10× a message), so peak memory does not depend on
 * which table or how many rows. Measured at 1M messages: 512 KiB peaks at 152 MB (124 MB at 100k),
 * 1 MiB at 176 MB, 2 MiB at 186 MB (the allocator keeps more of the larger buffers), at the same
 * CPU; far smaller chunks would pay the round trip per chunk.
 */
export const CHUNK_BYTES = 512 * 1024;

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

/** Chunk bytes read between two looks at the external memory (see {@link noteChunkBytes}). */
export const GC_EVERY_BYTES = 48 * 1024 * 1024;

/** A full garbage collection at once (`heapPacer` with no byte interval); does nothing where `gc()` cannot be exposed. */
const collectNow = heapPacer(0);
let sinceLook = 0;

/**
 * Records `bytes` of chunk buffers read (from the drivers: off the JS heap) and, every
 * {@link GC_EVERY_BYTES}, runs a full garbage collection when more than that much external memory
 * (ArrayBuffers: chunk buffers, socket reads) is still held (`v8.getHeapStatistics().external_memory`).
 * Without it, dead chunk buffers pile up until V8's external-memory heuristics collect them, and
 * peak memory grows with the size of the data set (measured at 1M messages: 196 MB against
 * 134 MB at 100k; with it, 1M and 100k peak alike). When V8 has just collected them itself, the
 * forced collection is skipped: it would find nothing to free and costs 10–35 ms of this thread.
 * (V8 collects often when its old generation starts small: ~90 major collections in a pass at 1M
 * messages with node's defaults, ~28 with the CLI's flags, cli/node-flags.ts.)
 */
export function noteChunkBytes(bytes: number): void {
  sinceLook += bytes;
  if (sinceLook < GC_EVERY_BYTES) return;
  sinceLook = 0;
  if (v8.getHeapStatistics().external_memory >= GC_EVERY_BYTES) collectNow(0);
}
