import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fork } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { DatabaseError, type ErrorCode } from '../errors.js';
import type { TableName } from '../schema/tables.js';
import type { Side } from './backend-pair.js';
import type { CanonChunk, ChunkSource, TextMode } from './row-stream.js';

/** What the caller sends a chunk reader. @internal */
export type WorkerRequest = 'next' | 'close';
/** What a chunk reader answers. @internal */
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

/** Settings a chunk reader opens its side with (sent in-process or over IPC, never logged). @internal */
export interface WorkerSetup {
  readonly side: Side['name'];
  readonly url: string;
  readonly authToken?: string | undefined;
  readonly table: TableName;
  readonly chunkSize: number;
  readonly text: TextMode;
}

/**
 * The LibSQL reader process aborted (a Rust panic of the libsql driver: text that is not UTF-8
 * read in `fast` mode). verify reads the table again in `strict` mode. @internal
 */
export class TextAbortError extends Error {
  override readonly name = 'TextAbortError';
  constructor(
    readonly table: TableName,
    readonly stderr: string,
  ) {
    super(`the LibSQL reader of ${table} aborted${stderr ? `: ${stderr.split('\n').find((l) => l.includes('panicked') || l.includes('Error')) ?? stderr.split('\n')[0]}` : ''}`);
  }
}

const WORKER_FILE = fileURLToPath(new URL('./row-stream-worker.js', import.meta.url));

/** One request/answer channel to a reader, thread or process. */
interface Channel {
  send(m: WorkerRequest | { setup: WorkerSetup }): void;
  onMessage(fn: (r: WorkerReply) => void): void;
  /** Resolves once the reader is gone, with the error that killed it (null on a clean exit). */
  readonly exited: Promise<unknown>;
  kill(): Promise<void>;
}

function threadChannel(setup: WorkerSetup): Channel {
  // A larger young generation: the reader allocates short-lived rows at a high rate.
  const worker = new Worker(WORKER_FILE, { workerData: setup, resourceLimits: { maxYoungGenerationSizeMb: 32 } });
  let failure: unknown = null;
  worker.on('error', (e) => (failure = e));
  return {
    send: (m) => worker.postMessage(m),
    onMessage: (fn) => worker.on('message', fn),
    exited: new Promise((resolve) => worker.once('exit', (code) => resolve(failure ?? (code === 0 ? null : new Error(`verify reader thread exited with code ${code}`))))),
    kill: async () => void (await worker.terminate()),
  };
}

function processChannel(setup: WorkerSetup): Channel {
  // The setup (with the URL and token) goes over IPC, never in argv or the environment.
  const child = fork(WORKER_FILE, [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 4_000) stderr += d;
  });
  child.send({ setup });
  return {
    send: (m) => {
      if (child.connected) child.send(m);
    },
    onMessage: (fn) => child.on('message', (m) => fn(m as WorkerReply)),
    exited: new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        if (code === 0) return resolve(null);
        if (signal === 'SIGABRT' || code === 134) return resolve(new TextAbortError(setup.table, stderr.trim()));
        resolve(new Error(`verify reader process exited with ${signal ?? `code ${code}`}${stderr ? `: ${stderr.trim().split('\n')[0]}` : ''}`));
      }),
    ),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/**
 * A {@link ChunkSource} whose reading and pass forms are built off this thread: PostgreSQL in a
 * worker thread, LibSQL in a child process (see {@link TextMode}), each with its own connection.
 * Null when the compiled reader is not there (tests run the TypeScript sources; they read in
 * the calling thread instead). One request is always in flight, so the reader works ahead while
 * the caller compares.
 */
export function openRemoteChunkSource(side: Side, table: TableName, chunkSize: number, text: TextMode): ChunkSource | null {
  if (!existsSync(WORKER_FILE)) return null;
  const setup: WorkerSetup = { side: side.name, url: side.url, authToken: side.authToken, table, chunkSize, text };
  const ch = side.name === 'sqlite' ? processChannel(setup) : threadChannel(setup);
  let waiting: { resolve: (r: WorkerReply) => void; reject: (e: unknown) => void } | null = null;
  let gone: unknown = undefined; // set once the reader exited: null (clean) or the error
  ch.onMessage((r) => {
    const w = waiting;
    waiting = null;
    w?.resolve(r);
  });
  void ch.exited.then((e) => {
    gone = e;
    waiting?.reject(e ?? new Error(`verify reader of ${side.name} stopped`));
    waiting = null;
  });
  const ask = (m: WorkerRequest): Promise<WorkerReply> =>
    new Promise((resolve, reject) => {
      if (gone !== undefined) return reject(gone ?? new Error(`verify reader of ${side.name} stopped`));
      waiting = { resolve, reject };
      ch.send(m);
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
      if (gone === undefined) await Promise.race([ask('close').catch(() => {}), new Promise((r) => setTimeout(r, 5_000).unref())]);
      if (gone === undefined) await Promise.race([ch.exited, new Promise((r) => setTimeout(r, 2_000).unref())]);
      await ch.kill();
    },
  };
}
