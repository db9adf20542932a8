#!/usr/bin/env node
/**
 * One transfer operation in its own process, so its peak memory is its own. Run by
 * transfer-bench.ts as `node transfer-child.js '<json>'` with `{ op, libsqlUrl?, databaseUrl?, dir? }`;
 * prints one line `BENCH_RESULT {json}` (`ChildResult` of transfer-protocol.ts) on stdout, exits non-zero on failure.
 */
import { runOp } from './transfer-ops.js';
import { RESULT_PREFIX, type ChildOp, type ChildResult } from './transfer-protocol.js';

const op = JSON.parse(process.argv[2] ?? '{}') as ChildOp;
const t0 = performance.now();
const { rows, detail } = await runOp(op);
const usage = process.resourceUsage();
const result: ChildResult = {
  innerSeconds: (performance.now() - t0) / 1000,
  rows,
  maxRssMb: usage.maxRSS / 1024,
  cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
  detail,
};
process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
process.exit(0);
