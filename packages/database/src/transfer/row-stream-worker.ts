/**
 * Worker thread of {@link openWorkerChunkSource}: opens one side, streams one table's canonical
 * chunks on request. Started by row-stream-thread.ts only; not an entry point of its own.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isDatabaseError } from '../errors.js';
import { redact } from '../logger.js';
import { openPostgresSide, openSqliteSide, type Side } from './backend-pair.js';
import { openLocalChunkSource, type ChunkSource } from './row-stream.js';
import { packChunk, type WorkerReply, type WorkerRequest, type WorkerSetup } from './row-stream-thread.js';

const setup = workerData as WorkerSetup;
const port = parentPort!;
const reply = (r: WorkerReply) => port.postMessage(r);
const fail = (e: unknown) =>
  reply({
    error: isDatabaseError(e)
      ? { code: e.code, message: e.message, details: { ...e.details } }
      : { message: redact(e instanceof Error ? e.message : String(e)) },
  });

let side: Side | null = null;
let source: ChunkSource | null = null;
const ready = (async () => {
  side = setup.side === 'sqlite' ? await openSqliteSide({ libsqlUrl: setup.url, libsqlAuthToken: setup.authToken }) : await openPostgresSide(setup.url, 1);
  source = openLocalChunkSource(side, setup.table, setup.chunkSize);
})();
ready.catch(() => {});

port.on('message', (m: WorkerRequest) => {
  void (async () => {
    if (m === 'next') {
      try {
        await ready;
        const chunk = await source!.next();
        if (!chunk) reply({ chunk: null });
        else {
          const { packed, transfer } = packChunk(chunk);
          port.postMessage({ chunk: packed } satisfies WorkerReply, transfer);
        }
      } catch (e) {
        fail(e);
      }
    } else {
      await ready.catch(() => {});
      await source?.close().catch(() => {});
      await side?.store.close().catch(() => {});
      reply({ closed: true });
      port.close();
    }
  })();
});
