import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DatabaseError, type ErrorCode } from '../../errors.js';
import type { TableName } from '../../schema/tables.js';
import type { Side } from '../source/backend-pair.js';
import type { PassChunk } from './pass-chunk.js';
import { openSqlitePassReader } from './pass-reader-sqlite.js';
import type { PassReader } from './pass-sizer.js';
import { sqliteFilePath } from '../source/source.js';

/** What the reader thread is started with (`workerData`). @internal */
export interface PassWorkerSetup {
  readonly path: string;
  readonly table: TableName;
  readonly maxRows: number;
}

/** A chunk as posted by the reader thread: its buffers and arrays travel in the transfer list. @internal */
export type PostedChunk = Omit<PassChunk, 'bufs'> & { readonly bufs: ArrayBuffer[] };

/** What the reader thread answers to `'next'`. @internal */
export type PassWorkerReply =
  | { readonly chunk: PostedChunk | null }
  | { readonly error: { readonly code?: string; readonly message: string; readonly details?: Record<string, unknown> } };

/** A chunk's buffers as exclusively owned ArrayBuffers, and the transfer list that moves them without copying. @internal */
export function postable(c: PassChunk): { posted: PostedChunk; transfer: ArrayBuffer[] } {
  const bufs = c.bufs.map((b) => {
    const owned = b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer;
    return owned ? (b.buffer as ArrayBuffer) : (new Uint8Array(b).buffer as ArrayBuffer); // copies pooled or shared memory
  });
  const arrays = [c.buf, c.start, c.end, c.idStart, c.idEnd, c.plainEnd, c.json, c.jsonEnd, c.kind, ...(c.reals ? [c.reals] : [])];
  const transfer = [...new Set([...bufs, ...arrays.map((a) => a.buffer as ArrayBuffer)])];
  return { posted: { ...c, bufs }, transfer };
}

const WORKER_FILE = fileURLToPath(new URL('./pass-reader-worker.js', import.meta.url));

/**
 * LibSQL's side of verify's pass (pass-reader-sqlite.ts) in a worker thread, so SQLite builds the
 * next chunks while this thread compares and PostgreSQL builds its own: three workers for two
 * or more cores. One chunk is always requested ahead. Used for a local file when the compiled
 * worker exists (`dist/`); otherwise (a remote LibSQL, tests on the TypeScript sources) the
 * reader runs in this thread.
 */
export function openSqlitePassReaderThreaded(side: Side, table: TableName, maxRows: number, threads: boolean): PassReader {
  const path = sqliteFilePath(side.url);
  if (!threads || !path || !existsSync(WORKER_FILE)) return openSqlitePassReader(side, table, maxRows);
  const setup: PassWorkerSetup = { path, table, maxRows };
  const worker = new Worker(WORKER_FILE, { workerData: setup });
  let failure: unknown = null;
  worker.on('error', (e) => (failure = e));
  let waiting: { resolve: (r: PassWorkerReply) => void; reject: (e: unknown) => void } | null = null;
  let gone = false;
  worker.on('message', (r: PassWorkerReply) => {
    const w = waiting;
    waiting = null;
    w?.resolve(r);
  });
  worker.once('exit', (code) => {
    gone = true;
    waiting?.reject(failure ?? new Error(`verify's LibSQL reader thread exited with code ${code}`));
    waiting = null;
  });
  const ask = (): Promise<PassChunk | null> =>
    new Promise<PassWorkerReply>((resolve, reject) => {
      if (gone) return reject(failure ?? new Error("verify's LibSQL reader thread stopped"));
      waiting = { resolve, reject };
      worker.postMessage('next');
    }).then((r) => {
      if ('error' in r) {
        const e = r.error;
        throw e.code ? new DatabaseError(e.code as ErrorCode, e.message, e.details ?? {}) : new Error(e.message);
      }
      return r.chunk ? { ...r.chunk, bufs: r.chunk.bufs.map((b) => Buffer.from(b)) } : null;
    });
  let pending: Promise<PassChunk | null> | null = ask();
  pending.catch(() => {});
  return {
    async next() {
      if (!pending) return null;
      const chunk = await pending;
      pending = chunk ? ask() : null;
      pending?.catch(() => {});
      return chunk;
    },
    async close() {
      await pending?.catch(() => {});
      pending = null;
      if (!gone) await worker.terminate();
    },
  };
}
