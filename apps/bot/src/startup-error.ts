import { describeError, isDatabaseError, redact } from '@repo/database';

/** Exit codes of `bot`: the same meanings as the `db` CLI's. */
export const ExitCode = { OK: 0, FAILURE: 1, USAGE: 2, UNREACHABLE: 3 } as const;

const USAGE_CODES = new Set(['INVALID_FLAG', 'UNSAFE_PHASE', 'INVALID_CONFIG', 'DATABASE_URL_MISSING']);
/** Codes of a network failure (DNS, refused, unroutable, timed out): the database is unreachable. */
const NETWORK_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'CONNECT_TIMEOUT']);

/** First line of a text: drivers append SQL, stacks or hints on further lines. */
const firstLine = (s: string): string => s.split(/\r?\n/, 1)[0]!.trim();

/**
 * The causes of an error, outermost first (`error.cause` chain, at most 8 deep), each as
 * `{ code, message }` with the message's first line only. `fetch failed` hides its reason (DNS,
 * refused…) in `cause`: the deepest cause is the one an operator needs.
 */
export function causeChain(e: unknown): Array<{ code: string; message: string }> {
  const out: Array<{ code: string; message: string }> = [];
  for (let x: unknown = e, i = 0; x !== undefined && x !== null && i < 8; x = (x as { cause?: unknown }).cause, i++) {
    const d = describeError(x);
    out.push({ code: d.code, message: firstLine(d.message) });
    if (typeof x !== 'object') break;
  }
  return out;
}

/**
 * One clear, redacted line for a start-up error (`error CODE: message[: cause]`, no stack trace,
 * no SQL: first lines only), and the exit code: 2 for configuration (INVALID_FLAG, UNSAFE_PHASE,
 * INVALID_CONFIG, DATABASE_URL_MISSING), 3 for DATABASE_UNREACHABLE or a network failure anywhere
 * in the cause chain (its code and message, e.g. `getaddrinfo ENOTFOUND my-db.turso.io`, are
 * appended when the outer message does not already say it), 1 otherwise (e.g. `EADDRINUSE`).
 */
export function describeStartupError(e: unknown): { line: string; exitCode: number } {
  const chain = causeChain(e);
  const root = chain.at(-1)!;
  const network = chain.find((c) => NETWORK_CODES.has(c.code));
  const head = chain[0]!;
  const detail = chain.length > 1 && !head.message.includes(root.message) ? `: ${root.code !== 'UNKNOWN' && !root.message.includes(root.code) ? `${root.code} ` : ''}${root.message}` : '';
  if (isDatabaseError(e)) {
    const exitCode = USAGE_CODES.has(e.code) ? ExitCode.USAGE : e.code === 'DATABASE_UNREACHABLE' || network ? ExitCode.UNREACHABLE : ExitCode.FAILURE;
    return { line: redact(`error ${e.code}: ${head.message}${detail}`), exitCode };
  }
  if (network) return { line: redact(`error DATABASE_UNREACHABLE: ${head.message}${detail}`), exitCode: ExitCode.UNREACHABLE };
  return { line: redact(`error ${head.code === 'UNKNOWN' ? 'STARTUP_FAILED' : head.code}: ${head.message}${detail}`), exitCode: ExitCode.FAILURE };
}
