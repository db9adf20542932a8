/**
 * Worker-thread entry of the shadow writer (see worker-shadow.ts). Owns its own connection to
 * the shadow backend and a {@link ShadowQueue}; talks to the main thread only by messages.
 * @internal
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { ShadowLimits } from '../config/env.js';
import { openStore, type BackendTarget } from '../stores/open-store.js';
import { ShadowQueue } from './shadow-queue.js';
import type { ToWorker } from './worker-messages.js';

const data = workerData as { target: BackendTarget; limits: ShadowLimits; phase: string };
const port = parentPort!;
// Only this thread (and threads it starts) on Linux: see ShadowLimits.workerNice.
if (process.platform === 'linux' && (data.limits.workerNice ?? 0) > 0) {
  try {
    setPriority(0, data.limits.workerNice!);
  } catch {
    // Not permitted (a sandbox): run at the default priority.
  }
}
const { store, pg } = await openStore(data.target);
const log = { warn: (obj: object, msg?: string) => port.postMessage({ type: 'log', obj, msg }) };
const queue = new ShadowQueue(store, data.limits, log, data.phase, (entries) => port.postMessage({ type: 'unlanded', entries }));

let lastPushed = '';
let pushTimer: NodeJS.Timeout | null = null;
function pushStats(force = false) {
  const s = JSON.stringify(pg ? { ...queue.stats(), pool: pg.poolStats() } : queue.stats());
  if (force || s !== lastPushed) {
    lastPushed = s;
    port.postMessage({ type: 'stats', stats: JSON.parse(s) });
  }
}
function schedulePush() {
  pushTimer ??= setTimeout(() => {
    pushTimer = null;
    pushStats();
    const st = queue.stats();
    if (st.queued + st.inFlight > 0) schedulePush();
  }, 20);
}

port.on('message', async (m: ToWorker) => {
  switch (m.type) {
    case 'enqueue':
      for (const job of m.jobs) queue.enqueue(job.key, job.changes);
      schedulePush();
      break;
    case 'barrier':
      port.postMessage({ type: 'barrier', id: m.id, ok: await queue.barrier(m.timeoutMs) });
      break;
    case 'drain': {
      const result = await queue.drain(m.timeoutMs);
      pushStats(true);
      port.postMessage({ type: 'drained', ...result });
      await store.close().catch(() => {});
      port.close();
      break;
    }
  }
});
pushStats(true); // the pool's size is known before the first write
port.postMessage({ type: 'ready' });
