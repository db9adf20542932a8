#!/usr/bin/env node
/**
 * `pnpm bench`: benchmarks measured as ratios against a baseline in the same run (never timed
 * tests). Results go to stdout as markdown; copy them into docs/benchmarks.md.
 *
 * Environment: BENCH_ROUNDS (default 5), BENCH_PER_ROUND (default 1000), BENCH_ONLY=phase|transfer|reads,
 * BENCH_COMPARE_READS=1 (phase bench: each call is followed by a queryMessages read, timed too; phase 4
 * compares reads at COMPARE_READS_RATE, default 1 %: the caller's cost of compared reads).
 * Transfer (transfer-run.ts): BENCH_SIZES (message counts, default 100000,1000000), BENCH_TRANSFER_ROUNDS
 * (default 1); it also writes bench-results/transfer-<date>.md and its section of docs/benchmarks.md.
 * Reads (read-run.ts, issue 15 §2): BENCH_READ_MESSAGES (default 1000000), BENCH_READ_CALLS (default 60),
 * BENCH_READ_WARMUP (default 5), BENCH_READ_KEEP_DB=<database> (reuse a filled PostgreSQL database); writes
 * bench-results/reads-<date>.md and, at 1M messages, its section of docs/benchmarks.md.
 */
import { benchPhaseLatency, phaseLatencyReport } from './phase-latency.js';
import { runTransferBench } from './transfer-run.js';
import { runReadBench } from './read-run.js';

const only = process.env.BENCH_ONLY;
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const perRound = Number(process.env.BENCH_PER_ROUND ?? 1000);

if (!only || only === 'phase') {
  const reads = process.env.BENCH_COMPARE_READS === '1';
  console.log(`## saveHumanMessage${reads ? ' + queryMessages' : ''} latency by phase (${rounds} rounds × ${perRound} calls per phase, interleaved)\n`);
  const results = await benchPhaseLatency({ rounds, perRound, warmup: 1000, reads });
  console.log(phaseLatencyReport(results));
  console.log();
}

if (!only || only === 'transfer') {
  await runTransferBench();
}

if (!only || only === 'reads') {
  await runReadBench();
}
