import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | null | undefined;

/** The engine's `gc()` (exposed once through `v8.setFlagsFromString`), or null where that fails. */
function gcFunction(): (() => void) | null {
  if (collect !== undefined) return collect;
  try {
    const existing = (globalThis as { gc?: () => void }).gc;
    if (typeof existing === 'function') return (collect = existing);
    v8.setFlagsFromString('--expose-gc');
    const fn = runInNewContext('gc') as unknown;
    collect = typeof fn === 'function' ? (fn as () => void) : null;
  } catch {
    collect = null;
  }
  return collect;
}

/**
 * A pacer of full garbage collections: the returned function records `bytes` of data that went
 * through the process and runs a full collection every `everyBytes`. For long transfers whose live
 * heap is small and flat: V8 otherwise lets dead garbage (promoted rows, driver buffers held off
 * the JS heap) pile up to limits that rise over a long run, so peak memory would grow with the
 * size of the data set. A full collection of such a heap costs a few ms. Where `gc()` cannot be
 * exposed, the pacer does nothing.
 */
export function heapPacer(everyBytes: number): (bytes: number) => void {
  let since = 0;
  return (bytes) => {
    since += bytes;
    if (since < everyBytes) return;
    since = 0;
    gcFunction()?.();
  };
}
