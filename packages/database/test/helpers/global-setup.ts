import { ensureFreshDist } from './fresh-dist.js';

/**
 * Vitest global setup: rebuilds `dist/` once, before any test file runs, when a source is newer
 * than its output. The shadow worker thread and the CLI tests run `dist/`, not the sources, and a
 * rebuild while test files are running would hand them half-written files.
 */
export default function setup(): void {
  ensureFreshDist();
}
