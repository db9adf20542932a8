import { InvalidArgumentError } from 'commander';

/** Parses a positive integer option (commander turns the error into exit code 2). */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * An AbortSignal that fires on the first SIGINT/SIGTERM (the run stops after the batches in
 * flight, so a re-run resumes cleanly); a second signal exits at once. `dispose()` removes the handlers.
 */
export function interruptSignal(warn: (line: string) => void): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (ac.signal.aborted) process.exit(130);
    warn(`${name}: finishing the batches in flight, then stopping (press Ctrl-C again to exit at once). Run the same command again to resume.`);
    ac.abort(new Error(`interrupted by ${name}; nothing is half-applied: run the same command again to resume (the version guard skips rows already there)`));
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

/** Help text shared by the commands that can reject rows. */
export const REJECTS_HELP =
  'Exit codes: 0 ok; 5 rows rejected (each in a rejects file with its id and reason) unless --allow-rejects; ' +
  '2 bad usage or configuration; 3 a database is unreachable; 1 anything else.';
