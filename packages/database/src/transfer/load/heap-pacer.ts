import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Payload bytes loaded between two forced garbage collections (see {@link paceHeap}). */
export const GC_EVERY_BYTES = 32 * 1024 * 1024;

let collect: (() => void) | null | undefined;
let since = 0;

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
 * Records `bytes` of data loaded (import, copy) and runs a full garbage collection every
 * {@link GC_EVERY_BYTES}. The live heap of a load is small and flat (~15 MB), but V8 lets the
 * garbage promoted to its old generation pile up to a limit that keeps rising over a long run, so
 * peak memory grew with the data set: copy peaked at 137 MB at 100k messages and 208 MB at 1M
 * without this, 138 and 152 MB with it. A full collection of this heap takes a few ms (at 1M
 * messages ~25 of them, about 0.5 s in all). The same mechanism as verify's (pass-sizer.ts).
 */
export function paceHeap(bytes: number): void {
  since += bytes;
  if (since < GC_EVERY_BYTES) return;
  since = 0;
  gcFunction()?.();
}
