/**
 * The worker thread of {@link openSqlitePassReaderThreaded}: reads one LibSQL table's pass chunks
 * (pass-reader-sqlite.ts) from a local file, one chunk ahead: the next chunk is read right after
 * one is posted. Started by pass-reader-thread.ts only.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isDatabaseError } from '../../errors.js';
import { redact } from '../../logger.js';
import type { Side } from '../source/backend-pair.js';
import type { PassChunk } from './pass-chunk.js';
import { postable, type PassWorkerReply, type PassWorkerSetup } from './pass-reader-thread.js';
import { openSqlitePassReader } from './pass-reader-sqlite.js';

const setup = workerData as PassWorkerSetup;
const port = parentPort!;
// A local file needs no client: the reader opens the file itself (pass-reader-sqlite.ts).
const side = { name: 'sqlite', url: `file:${setup.path}` } as Side;
const reader = openSqlitePassReader(side, setup.table, setup.maxRows);
let ahead: Promise<PassChunk | null> = reader.next();
ahead.catch(() => {});

port.on('message', () => {
  void ahead.then(
    (chunk) => {
      if (!chunk) {
        port.postMessage({ chunk: null } satisfies PassWorkerReply);
        return;
      }
      const { posted, transfer } = postable(chunk);
      port.postMessage({ chunk: posted } satisfies PassWorkerReply, transfer);
      ahead = reader.next();
      ahead.catch(() => {});
    },
    (e: unknown) =>
      port.postMessage({
        error: isDatabaseError(e) ? { code: e.code, message: e.message, details: { ...e.details } } : { message: redact(e instanceof Error ? e.message : String(e)) },
      } satisfies PassWorkerReply),
  );
});
