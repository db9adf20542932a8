/**
 * The Node.js (V8) flags the `db` CLI runs with: `pnpm db` (the root package.json script), the
 * `db` bin (its `#!/usr/bin/env -S node …` line) and the transfer benchmark's child processes all
 * pass exactly these (test/cli-node-flags.test.ts checks the three places).
 *
 * `--initial-old-space-size=128` (MB): V8's old generation starts with a 128 MB allocation limit
 * instead of one computed from the live heap. A transfer's live heap is small and flat (~15 MB),
 * while tens of MB of driver buffers (socket reads, chunk buffers, off the JS heap) pass through it
 * per second; with a limit derived from 15 MB, V8 began a major collection every ~20 MB of them:
 * `verify` at 1M messages ran 90 major collections, 17 with this flag, and took 11.2–13.4 s of
 * our CPU against 8.9–12.4 s (same VM, alternating runs: docs/benchmarks.md, "Issue 15, ninth
 * stop"). Peak memory is still bounded by the transfers' own collections (heap-pacer.ts,
 * verify-pass/pass-sizer.ts): verify's peak at 1M rose from ~197 to ~222 MB, and is the same at
 * 100k, 1M and 10M within the 1.3 bound. The flag exists since Node 12 (V8's
 * `--initial-old-space-size`); it is a start-up flag (V8 sizes the heap once, so
 * `v8.setFlagsFromString` at run time has no effect on it).
 */
export const CLI_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=128'];
