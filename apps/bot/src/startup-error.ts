import { describeError, isDatabaseError, redact } from '@repo/database';

/** Exit codes of `bot`: the same meanings as the `db` CLI's. */
export const ExitCode = { OK: 0, FAILURE: 1, USAGE: 2, UNREACHABLE: 3 } as const;

const USAGE_CODES = new Set(['INVALID_FLAG', 'UNSAFE_PHASE', 'INVALID_CONFIG', 'DATABASE_URL_MISSING']);

/**
 * One clear, redacted line for a start-up error (`error CODE: message`, no stack trace), and the
 * exit code: 2 for configuration (INVALID_FLAG, UNSAFE_PHASE, INVALID_CONFIG,
 * DATABASE_URL_MISSING), 3 for DATABASE_UNREACHABLE, 1 otherwise (e.g. `EADDRINUSE`).
 */
export function describeStartupError(e: unknown): { line: string; exitCode: number } {
  if (isDatabaseError(e)) {
    const exitCode = USAGE_CODES.has(e.code) ? ExitCode.USAGE : e.code === 'DATABASE_UNREACHABLE' ? ExitCode.UNREACHABLE : ExitCode.FAILURE;
    return { line: `error ${e.code}: ${redact(e.message)}`, exitCode };
  }
  const d = describeError(e);
  return { line: `error ${d.code === 'UNKNOWN' ? 'STARTUP_FAILED' : d.code}: ${redact(d.message)}`, exitCode: ExitCode.FAILURE };
}
