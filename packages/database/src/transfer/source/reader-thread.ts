import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DatabaseError, type ErrorCode } from '../../errors.js';
import type { ReaderFactory, SnapshotReader } from './source-reader.js';
import type { PostedError, ReaderReply, ReaderRequest, ReaderSetup } from './reader-protocol.js';
import type { PassChunk, TokenPassSpec } from './token-pass.js';

const WORKER_FILE = fileURLToPath(new URL('./reader-worker.js', import.meta.url));

/** Whether the compiled worker exists (`dist/`); tests on the TypeScript sources read in their own thread. */
export const readerThreadAvailable = (): boolean => existsSync(WORKER_FILE);

const toError = (e: PostedError): Error => (e.code && /^[A-Z_]+$/.test(e.code) ? new DatabaseError(e.code as ErrorCode, e.message, e.details ?? {}) : Object.assign(new Error(e.message), e.code ? { code: e.code } : {}));

/**
 * A local LibSQL file read in a worker thread (reader-worker.ts): the one connection, its read
 * transaction and every statement of the snapshot live there, so all tables are still read in one
 * snapshot, while SQLite's work and the scan of token chunks (token-pass.ts, read
 * `PASS_AHEAD` chunks ahead) run beside the thread that converts and loads. At 1M messages that
 * takes about 9 s of CPU off copy's main thread.
 * @throws whatever opening the file throws (source.ts wraps it as `DATABASE_UNREACHABLE`).
 */
export async function threadReader(path: string, busyTimeoutMs: number): Promise<ReaderFactory> {
  const worker = new Worker(WORKER_FILE, { workerData: { path, busyTimeoutMs } satisfies ReaderSetup });
  type Waiter = { reply: (r: ReaderReply) => void; fail: (e: unknown) => void };
  const waiting = new Map<number, Waiter>();
  // The thread keeps the process alive only while an answer is awaited: a reader left open does not.
  const wait = (id: number, w: Waiter) => {
    if (waiting.size === 0) worker.ref();
    waiting.set(id, w);
  };
  const done = (id: number) => {
    if (waiting.delete(id) && waiting.size === 0) worker.unref();
  };
  let nextId = 1;
  let gone: Error | null = null;
  const fail = (e: Error) => {
    gone ??= e;
    for (const w of waiting.values()) w.fail(gone);
    waiting.clear();
    worker.unref();
  };
  worker.on('error', (e) => fail(e));
  worker.on('exit', (code) => fail(new Error(`the LibSQL reader thread exited (code ${code})`)));
  worker.on('message', (r: ReaderReply) => waiting.get(r.id)?.reply(r));

  const opened = await new Promise<string | null>((resolve, reject) => {
    wait(0, {
      reply: (r) => {
        done(0);
        if ('opened' in r) resolve(r.opened.journalMode);
        else reject('error' in r ? toError(r.error) : new Error('unexpected reply'));
      },
      fail: reject,
    });
  }).catch(async (e: unknown) => {
    await worker.terminate();
    throw e;
  });

  const send = (m: ReaderRequest) => {
    if (gone) throw gone;
    worker.postMessage(m);
  };
  const request = (m: { op: 'begin' | 'commit' } | { op: 'all'; sql: string; args: readonly unknown[] }): Promise<unknown[][]> => {
    const id = nextId++;
    return new Promise<unknown[][]>((resolve, reject) => {
      wait(id, {
        reply: (r) => {
          done(id);
          if ('rows' in r) resolve(r.rows);
          else reject('error' in r ? toError(r.error) : new Error('unexpected reply'));
        },
        fail: reject,
      });
      send({ ...m, id } as ReaderRequest);
    });
  };

  async function* pass(spec: TokenPassSpec): AsyncGenerator<PassChunk> {
    const id = nextId++;
    const queue: ReaderReply[] = [];
    let wake: (() => void) | null = null;
    let failure: unknown = null;
    wait(id, {
      reply: (r) => {
        queue.push(r);
        wake?.();
      },
      fail: (e) => {
        failure = e;
        wake?.();
      },
    });
    let finished = false;
    try {
      const taken = new Int32Array(new SharedArrayBuffer(4));
      send({ op: 'pass', id, spec, taken: taken.buffer as SharedArrayBuffer });
      for (;;) {
        while (queue.length === 0 && failure === null) await new Promise<void>((res) => (wake = res));
        wake = null;
        const r = queue.shift();
        if (!r) throw failure;
        if ('error' in r) throw toError(r.error);
        if ('done' in r) {
          finished = true;
          return;
        }
        if (!('chunk' in r)) throw new Error('unexpected reply');
        Atomics.add(taken, 0, 1);
        Atomics.notify(taken, 0);
        yield r.chunk;
      }
    } finally {
      done(id);
      if (!finished && !gone) worker.postMessage({ op: 'stop', id } satisfies ReaderRequest);
    }
  }

  return {
    journalMode: opened,
    async begin(): Promise<SnapshotReader> {
      await request({ op: 'begin' });
      let open = true;
      return {
        all: (sql, args = []) => request({ op: 'all', sql, args }),
        tokenPass: pass,
        close() {
          if (open && !gone) void request({ op: 'commit' }).catch(() => {});
          open = false;
        },
      };
    },
    close: () => void worker.terminate(),
  };
}
