/**
 * The Node.js (V8) flags the `db` CLI runs with: `pnpm db` (the root package.json script), the
 * `db` bin (its `#!/usr/bin/env -S node …` line) and the transfer benchmark's child processes all
 * pass exactly these (the bench imports this list; test/cli-node-flags.test.ts checks the other two).
 *
 * `--initial-old-space-size=64` (MB): V8's old generation starts with a 64 MB allocation limit
 * instead of one derived from the live heap. A transfer's live heap is small and flat (~15 MB)
 * while hundreds of MB of driver buffers (socket reads, chunk buffers, off the JS heap) pass
 * through it; with a limit derived from 15 MB, V8 ran a major collection every few MB of them:
 * `verify` at 1M messages ran ~90 major collections with node's defaults and ~28 with this flag,
 * and took 11.0 s of our CPU (median of 4 runs) against 9.0 s, 10.0 s of wall against 8.8 s
 * (alternating runs on one VM: docs/benchmarks.md, "Issue 15, ninth stop"). 128 MB saved a
 * little more CPU but raised `copy`'s peak at 1M (272 MB against 246–264 MB), over issue 3's
 * 1M / 100k bound of 1.3; at 64 MB `copy` peaks as without the flag (257–260 MB). Peak memory
 * stays bounded by the transfers' own collections (heap-pacer.ts, verify-pass/pass-sizer.ts).
 * A start-up flag (V8 sizes the heap once; `v8.setFlagsFromString` at run time does not resize it).
 */
export const CLI_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=64'];
