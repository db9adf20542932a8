import { InvalidArgumentError, type Command } from 'commander';
import { ExitCode } from './exit-codes.js';
import { LOAD_MODES, type LoadMode } from '../transfer/load/deferred-indexes.js';

/** Parses a positive integer option (commander turns the error into exit code 2). */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

/** Adds `--libsql-url <url>` (replaces LIBSQL_URL for this command; see `envWithUrls`). */
export function withLibsqlUrl(cmd: Command, what = 'the LibSQL database'): Command {
  return cmd.option('--libsql-url <url>', `${what} (default: LIBSQL_URL; LIBSQL_AUTH_TOKEN is then not sent)`);
}

/** Adds `--database-url <url>` (replaces DATABASE_URL for this command; see `envWithUrls`). */
export function withDatabaseUrl(cmd: Command, what = 'the PostgreSQL database'): Command {
  return cmd.option('--database-url <url>', `${what} (default: DATABASE_URL)`);
}

/** Marks the error an interrupted run stops with (the abort reason of {@link interruptSignal}). */
export class InterruptedError extends Error {}

/**
 * An AbortSignal that fires on the first SIGINT/SIGTERM (the run stops after the batches in
 * flight, so a re-run resumes cleanly); a second signal exits at once (130). `dispose()` removes
 * the handlers. A SIGTERM also comes from parent-watch.ts when `pnpm` was killed.
 */
export function interruptSignal(warn: (line: string) => void): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (ac.signal.aborted) process.exit(ExitCode.INTERRUPTED);
    warn(`${name}: finishing the batches in flight, then stopping (press Ctrl-C again to exit at once). Run the same command again to resume.`);
    ac.abort(new InterruptedError(`interrupted by ${name}; nothing is half-applied: run the same command again to resume (the version guard skips rows already there)`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: ac.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/**
 * Runs an interruptible load: when the signal fired, whatever it threw becomes exit 130
 * (INTERRUPTED) with one line on stderr; other errors are rethrown.
 */
export async function interruptible<T>(warn: (line: string) => void, body: (signal: AbortSignal) => Promise<T>): Promise<{ value: T } | { interrupted: ExitCode }> {
  const stop = interruptSignal(warn);
  try {
    return { value: await body(stop.signal) };
  } catch (e) {
    if (!stop.signal.aborted) throw e;
    const reason = stop.signal.reason as Error;
    warn(`error INTERRUPTED: ${reason.message}`);
    return { interrupted: ExitCode.INTERRUPTED };
  } finally {
    stop.dispose();
  }
}

/** Parses `--load-mode` (auto|bulk|online; commander turns the error into exit code 2). */
export function loadModeArg(value: string): LoadMode {
  if (!(LOAD_MODES as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${LOAD_MODES.join(', ')}, got ${JSON.stringify(value)}`);
  return value as LoadMode;
}

/** Help text of `--load-mode` (copy and import). */
export const LOAD_MODE_HELP =
  'auto: bulk for a table empty in PostgreSQL when its load starts, else online; bulk: drop its secondary indexes for the load, ' +
  'build them after it (one pass each); online: maintain every index row by row';
