import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DatabaseError, type ErrorCode } from '../errors.js';
import type { TableName } from '../schema/tables.js';
import type { Side } from './backend-pair.js';
import type { CanonChunk, ChunkSource } from './row-stream.js';

/** What the main thread sends a chunk worker. @internal */
export type WorkerRequest = 'next' | 'close';
/** What a chunk worker answers. @internal */
export type WorkerReply =
  | { readonly chunk: PackedChunk | null }
  | { readonly error: { readonly code?: string; readonly message: string; readonly details?: Record<string, unknown> } }
  | { readonly closed: true };

/**
 * A chunk as two long strings plus end offsets: posting 10,000 separate strings costs more
 * than reading them; one string is one copy and the offsets are transferred, not copied. @internal
 */
export interface PackedChunk {
  readonly ids: string;
  readonly idEnds: Int32Array;
  readonly canon: string;
  readonly canonEnds: Int32Array;
}

/** Packs a chunk for `postMessage` (transfer list: the two offset buffers). @internal */
export function packChunk(c: CanonChunk): { packed: PackedChunk; transfer: ArrayBuffer[] } {
  const idEnds = new Int32Array(c.ids.length);
  const canonEnds = new Int32Array(c.canon.length);
  let a = 0;
  let b = 0;
  for (let i = 0; i < c.ids.length; i++) {
    idEnds[i] = a += c.ids[i]!.length;
    canonEnds[i] = b += c.canon[i]!.length;
  }
  return { packed: { ids: c.ids.join(''), idEnds, canon: c.canon.join(''), canonEnds }, transfer: [idEnds.buffer as ArrayBuffer, canonEnds.buffer as ArrayBuffer] };
}

function unpack(s: string, ends: Int32Array): string[] {
  const out: string[] = new Array(ends.length);
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    out[i] = s.slice(start, ends[i]);
    start = ends[i]!;
  }
  return out;
}

/** Settings a chunk worker opens its side with (in-process only, never logged). @internal */
export interface WorkerSetup {
  readonly side: Side['name'];
  readonly url: string;
  readonly authToken?: string | undefined;
  readonly table: TableName;
  readonly chunkSize: number;
}

const WORKER_FILE = fileURLToPath(new URL('./row-stream-worker.js', import.meta.url));

/**
 * A {@link ChunkSource} whose reading, decoding and canonicalising run in a worker thread with
 * its own connection, or null when the compiled worker is not there (tests run the TypeScript
 * sources; they read in the calling thread instead). One request is always in flight, so the
 * worker reads ahead while the caller compares.
 */
export function openWorkerChunkSource(side: Side, table: TableName, chunkSize: number): ChunkSource | null {
  if (!existsSync(WORKER_FILE)) return null;
  const setup: WorkerSetup = { side: side.name, url: side.url, authToken: side.authToken, table, chunkSize };
  // A larger young generation: the worker allocates short-lived rows at a high rate.
  const worker = new Worker(WORKER_FILE, { workerData: setup, resourceLimits: { maxYoungGenerationSizeMb: 32 } });
  let waiting: { resolve: (r: WorkerReply) => void; reject: (e: unknown) => void } | null = null;
  let failure: unknown = null;
  let exited = false;
  worker.on('message', (r: WorkerReply) => {
    const w = waiting;
    waiting = null;
    w?.resolve(r);
  });
  worker.on('error', (e) => {
    failure = e;
    waiting?.reject(e);
    waiting = null;
  });
  const exit = new Promise<void>((resolve) =>
    worker.once('exit', (code) => {
      exited = true;
      if (waiting) waiting.reject(failure ?? new Error(`verify worker for ${side.name} exited with code ${code}`));
      waiting = null;
      resolve();
    }),
  );
  const ask = (m: WorkerRequest): Promise<WorkerReply> =>
    new Promise((resolve, reject) => {
      if (failure || exited) return reject(failure ?? new Error(`verify worker for ${side.name} is gone`));
      waiting = { resolve, reject };
      worker.postMessage(m);
    });
  const receive = async (p: Promise<WorkerReply>): Promise<CanonChunk | null> => {
    const r = await p;
    if ('error' in r) {
      const e = r.error;
      throw e.code ? new DatabaseError(e.code as ErrorCode, e.message, e.details ?? {}) : new Error(e.message);
    }
    if (!('chunk' in r) || !r.chunk) return null;
    return { ids: unpack(r.chunk.ids, r.chunk.idEnds), canon: unpack(r.chunk.canon, r.chunk.canonEnds) };
  };
  let pending: Promise<CanonChunk | null> | null = receive(ask('next'));
  pending.catch(() => {});
  let done = false;
  return {
    async next() {
      if (done || !pending) return null;
      const chunk = await pending;
      if (!chunk) {
        done = true;
        pending = null;
      } else {
        pending = receive(ask('next'));
        pending.catch(() => {});
      }
      return chunk;
    },
    async close() {
      done = true;
      await pending?.catch(() => {});
      pending = null;
      if (!exited && !failure) {
        await Promise.race([ask('close').catch(() => {}), new Promise((r) => setTimeout(r, 5_000).unref())]);
      }
      if (!exited) await worker.terminate();
      await exit;
    },
  };
}
