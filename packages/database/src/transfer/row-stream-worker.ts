/**
 * A chunk reader of {@link openRemoteChunkSource}: opens one side and streams one table's pass
 * forms on request. Runs as a worker thread (PostgreSQL; setup in `workerData`) or as a child
 * process (LibSQL; setup as the first IPC message). Started by row-stream-thread.ts only.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isDatabaseError } from '../errors.js';
import { redact } from '../logger.js';
import { openPostgresSide, openSqliteSide, type Side } from './backend-pair.js';
import { openLocalChunkSource, type ChunkSource } from './row-stream.js';
import { packChunk, type WorkerReply, type WorkerRequest, type WorkerSetup } from './row-stream-thread.js';

type Message = WorkerRequest | { setup: WorkerSetup };

const port = parentPort;
const send = (r: WorkerReply, transfer: ArrayBuffer[] = []) => (port ? port.postMessage(r, transfer) : process.send!(r));
const fail = (e: unknown) =>
  send({
    error: isDatabaseError(e)
      ? { code: e.code, message: e.message, details: { ...e.details } }
      : { message: redact(e instanceof Error ? e.message : String(e)) },
  });

let side: Side | null = null;
let source: ChunkSource | null = null;
let ready: Promise<void> | null = null;

function start(setup: WorkerSetup): void {
  ready = (async () => {
    side = setup.side === 'sqlite' ? await openSqliteSide({ libsqlUrl: setup.url, libsqlAuthToken: setup.authToken }) : await openPostgresSide(setup.url, 1);
    source = openLocalChunkSource(side, setup.table, setup.chunkSize, setup.text);
  })();
  ready.catch(() => {});
}

async function handle(m: Message): Promise<void> {
  if (typeof m === 'object') return start(m.setup);
  if (m === 'next') {
    try {
      await ready;
      const chunk = await source!.next();
      if (!chunk) send({ chunk: null });
      else {
        const { packed, transfer } = packChunk(chunk);
        send({ chunk: packed }, transfer);
      }
    } catch (e) {
      fail(e);
    }
    return;
  }
  await ready?.catch(() => {});
  await source?.close().catch(() => {});
  await side?.store.close().catch(() => {});
  send({ closed: true });
  if (port) port.close();
  else process.disconnect();
}

if (port) {
  start(workerData as WorkerSetup);
  port.on('message', (m: Message) => void handle(m));
} else {
  process.on('message', (m: Message) => void handle(m));
}
