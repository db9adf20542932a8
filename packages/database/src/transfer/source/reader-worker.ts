/**
 * The worker of reader-thread.ts: holds the LibSQL file's connection and its read transaction, runs
 * the snapshot's statements, and reads token passes ahead (token-pass.ts), so SQLite's work and the
 * scan of each chunk happen beside the thread that converts and loads. Started by reader-thread.ts only.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type Libsql from 'libsql';
import { openLibsqlFile } from '../../stores/sqlite/libsql-client.js';
import { isDatabaseError } from '../../errors.js';
import { heapPacer } from '../../heap-pacer.js';
import { redact } from '../../logger.js';
import { chunkTransfer, PASS_AHEAD, type PostedError, type ReaderReply, type ReaderRequest, type ReaderSetup } from './reader-protocol.js';
import { tokenPass } from './token-pass.js';

const setup = workerData as ReaderSetup;
const port = parentPort!;
const post = (r: ReaderReply, transfer: ArrayBuffer[] = []) => port.postMessage(r, transfer);
const posted = (e: unknown): PostedError =>
  isDatabaseError(e) ? { code: e.code, message: e.message, details: { ...e.details } } : { message: redact(e instanceof Error ? e.message : String(e)), ...((e as { code?: unknown })?.code ? { code: String((e as { code: unknown }).code) } : {}) };

let db: Libsql.Database;
try {
  db = openLibsqlFile(setup.path, setup.busyTimeoutMs);
  const journalMode = String((db.prepare('PRAGMA journal_mode').raw(true).get() as unknown[])[0] ?? '') || null;
  post({ id: 0, opened: { journalMode } });
} catch (e) {
  post({ id: 0, error: posted(e) });
  process.exit(0);
}

const statements = new Map<string, Libsql.Statement<unknown[]>>();
const all = (sql: string, args: readonly unknown[]): unknown[][] => {
  let st = statements.get(sql);
  if (!st) statements.set(sql, (st = db.prepare(sql).raw(true).safeIntegers(true) as Libsql.Statement<unknown[]>));
  return st.all(...args) as unknown[][];
};

/** `Atomics.waitAsync` (V8 since 8.7, Node ≥ 16; ES2024, newer than this project's TypeScript lib). */
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<string> | string } }).waitAsync;

/**
 * A full collection of this thread's heap every 32 MB of chunks sent (heap-pacer.ts), as the
 * loading thread does: each chunk's blob is the driver's native memory, which V8 does not count,
 * so without it the freed blobs' memory waited for collections that came later and later as the
 * heap's limits rose over a long pass.
 */
const pace = heapPacer(32 << 20);

/** The passes in progress: their `taken` counter (reader-protocol.ts) and whether they were stopped. */
const passes = new Map<number, { taken: Int32Array; stopped: boolean }>();

async function runPass(m: Extract<ReaderRequest, { op: 'pass' }>): Promise<void> {
  const { id, spec } = m;
  const p = { taken: new Int32Array(m.taken), stopped: false };
  passes.set(id, p);
  let sent = 0;
  try {
    for await (const c of tokenPass(async (sql, args) => all(sql, args), spec)) {
      for (;;) {
        const taken = Atomics.load(p.taken, 0);
        if (p.stopped || sent - taken < PASS_AHEAD) break;
        const w = waitAsync(p.taken, 0, taken);
        if (w.async) await w.value;
      }
      if (p.stopped) return;
      sent++;
      const { chunk, transfer } = chunkTransfer(c);
      const bytes = transfer.reduce((n, b) => n + b.byteLength, 0); // before the post detaches them
      post({ id, chunk }, transfer);
      pace(bytes);
    }
    post({ id, done: true });
  } catch (e) {
    post({ id, error: posted(e) });
  } finally {
    passes.delete(id);
  }
}

port.on('message', (m: ReaderRequest) => {
  try {
    switch (m.op) {
      case 'begin':
        db.exec('BEGIN');
        return post({ id: m.id, rows: [] });
      case 'commit':
        if (db.inTransaction) db.exec('COMMIT');
        return post({ id: m.id, rows: [] });
      case 'all':
        return post({ id: m.id, rows: all(m.sql, m.args) });
      case 'pass':
        void runPass(m);
        return;
      case 'stop': {
        const p = passes.get(m.id);
        if (!p) return;
        p.stopped = true;
        Atomics.notify(p.taken, 0); // wakes a pass waiting for its consumer
        return;
      }
    }
  } catch (e) {
    post({ id: m.id, error: posted(e) });
  }
});
