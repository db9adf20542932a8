import { assertAdopted } from '../../adopt/guard.js';
import { InvalidArgumentError } from 'commander';
import { redactUrl } from '../../logger.js';
import { runGate, type GateResult } from '../../transfer/gate.js';
import { summarizeGate, writeLastGate } from '../../transfer/gate-report.js';
import { commandExitCodes, ExitCode } from '../exit-codes.js';
import type { CommandModule } from './index.js';
import { driftLine, verifyOptionsOf, verifyProgress, withVerifyOptions, type VerifyCliOptions } from './verify.js';

interface GateCliOptions extends VerifyCliOptions {
  readonly botUrl?: string;
  readonly skipShadow: boolean;
  readonly maxShadowFailureRate: number;
  readonly minConsistency: number;
  readonly minComparedReads: number;
  readonly maxP95Ms: number;
  readonly samples: number;
}

const rate = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`must be a fraction from 0 to 1 (0.01 = 1%), got ${JSON.stringify(v)}`);
  return n;
};
const positiveNumber = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`must be a positive number, got ${JSON.stringify(v)}`);
  return n;
};
const nonNegativeInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`must be a whole number ≥ 0, got ${JSON.stringify(v)}`);
  return n;
};
const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
};

/** The screen form of a gate result: one line per criterion with its value and PASS/FAIL. */
export function formatGate(r: GateResult): string {
  const w = Math.max(...r.criteria.map((c) => c.name.length));
  const lines = r.criteria.map((c) => `${c.pass ? 'PASS' : 'FAIL'}  ${c.name.padEnd(w)}  ${c.value}  (needs ${c.threshold})`);
  if (r.verify && r.verify.drift > 0) {
    lines.push('', `drifted rows (first ${r.verify.sample.length} of ${r.verify.drift}; all in ${r.verify.reportFile ?? '(no report file)'}):`, ...r.verify.sample.map(driftLine));
  }
  lines.push('', r.ok ? 'GATE PASSED: every criterion met.' : `GATE FAILED: ${r.failed.join(', ')}. Do not move reads or writes.`);
  return lines.join('\n');
}

/** `db gate`: the guide's success criteria as one command; exit 0 only when all pass, 4 otherwise. */
export const gateCommand: CommandModule = {
  register(program, run) {
    withVerifyOptions(
      program
        .command('gate')
        .description('check the success criteria before moving reads or writes (tables, verify, shadow failure rate, p95 latency, search, foreign keys); exit 4 on any failure')
        .option('--bot-url <url>', "the bot's base URL; its GET /status gives the shadow-write counters")
        .option('--skip-shadow', 'pass the criteria read from the bot (shadow failure rate, compared reads) without measuring them (no bot to ask)', false)
        .option('--max-shadow-failure-rate <fraction>', 'highest acceptable shadow failure rate ((failed + dropped) / finished)', rate, 0.01)
        .option('--min-consistency <fraction>', 'lowest acceptable consistency of compared reads (matched / compared), overall and per call', rate, 0.999)
        .option('--min-compared-reads <n>', 'fewest compared reads (since the bot started) for the consistency to count', nonNegativeInt, 500)
        .option('--max-p95-ms <ms>', 'highest acceptable p95 read latency on PostgreSQL, ms', positiveNumber, 100)
        .option('--samples <n>', 'read calls timed for the latency criterion', positiveInt, 200),
    )
      .addHelpText(
        'after',
        '\nCriteria: every table exists on PostgreSQL; verify finds no drift; shadow-write failure rate below the maximum (from the bot\'s ' +
          '/status; "not measured" fails unless --skip-shadow); p95 of real reads (get, recent messages, search, documents) on PostgreSQL ' +
          'below --max-p95-ms; full-text search finds sampled messages on PostgreSQL; no collaborator without its document on PostgreSQL.' +
          commandExitCodes([
            [ExitCode.OK, 'every criterion passed'],
            [ExitCode.DRIFT, 'a criterion failed'],
            [ExitCode.SCHEMA_MISSING, 'a table is missing (the tables criterion failed; the others could not run): run `db migrate`'],
            [ExitCode.LEGACY_SCHEMA, "omega-bot's file, not adopted: run `db adopt` first"],
            [ExitCode.UNREACHABLE, 'a database is unreachable'],
          ]),
      )
      .action((o: GateCliOptions) =>
        run(async (ctx) => {
          await assertAdopted(ctx.config.libsqlUrl, ctx.config.libsqlAuthToken, '`pnpm db gate`');
          const opts = verifyOptionsOf(ctx, o);
          ctx.say(`gate: LibSQL ${redactUrl(opts.libsqlUrl)} ↔ PostgreSQL ${redactUrl(opts.databaseUrl)}${o.botUrl ? `, bot ${redactUrl(o.botUrl)}` : ''}`);
          const bar = verifyProgress(ctx);
          let r: GateResult;
          try {
            r = await runGate({
              ...opts,
              botUrl: o.botUrl,
              shellPhase: ctx.config.routing.phase,
              skipShadow: o.skipShadow,
              maxShadowFailureRate: o.maxShadowFailureRate,
              minConsistency: o.minConsistency,
              minComparedReads: o.minComparedReads,
              maxP95Ms: o.maxP95Ms,
              latencySamples: o.samples,
              onProgress: bar.onProgress,
              onRecheck: bar.onRecheck,
              onWarning: ctx.warn,
            });
          } finally {
            bar.stop();
          }
          // Kept for the bot's status page and /metrics (they survive a deploy): `<data-dir>/last-gate.json`.
          if (opts.dataDir) writeLastGate(opts.dataDir, summarizeGate(r));
          ctx.say(formatGate(r));
          ctx.result(r);
          // A table missing on PostgreSQL is the schema, not drift: the other criteria could not run.
          return r.ok ? ExitCode.OK : r.failed.includes('tables') ? ExitCode.SCHEMA_MISSING : ExitCode.DRIFT;
        }),
      );
  },
};
