import { DatabaseError, describeError, isConnectionError, isDatabaseError, redact, type Database, type Logger, type PhaseFlags } from '@repo/database';
import Fastify, { LogController, type FastifyError } from 'fastify';
import type { z } from 'zod';
import { handleMessage, messageBody } from './handle-message.js';
import { registerObservability, type ObservabilityOptions } from './observability/index.js';
import { statusOf } from './status.js';

/** What {@link buildServer} needs. */
export interface BuildServerOptions {
  readonly db: Database;
  /** The package's pino logger (`createLogger({ name: 'bot' })`); fastify logs through it too. */
  readonly logger: Logger;
  /** The phase flags as configured (shown by `/status`); derived from `db.routing` when omitted. */
  readonly flags?: PhaseFlags;
  /**
   * Deadline of one `POST /messages`, in ms (default {@link requestTimeoutFromEnv}): past it the
   * request is answered 503 `{ error: 'UNAVAILABLE', code: 'REQUEST_TIMEOUT' }` with `Retry-After`.
   */
  readonly requestTimeoutMs?: number;
  /** Status page, /metrics and /readyz options (shadow loss counts, data folder); see `observability/index.ts`. */
  readonly observability?: Omit<ObservabilityOptions, 'db' | 'flags'>;
}

/** Default of BOT_REQUEST_TIMEOUT_MS, in ms. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 8_000;
/** Seconds a client is told to wait (`Retry-After`) after a 503 for a backend that did not answer. */
export const RETRY_AFTER_S = 5;

/**
 * BOT_REQUEST_TIMEOUT_MS (default 8,000; 100–600,000): the deadline of one `POST /messages`.
 * Keep it below the shutdown deadline (BOT_SHUTDOWN_TIMEOUT_MS), which waits for requests in flight.
 * @throws DatabaseError `INVALID_CONFIG` naming the variable (not its value).
 */
export function requestTimeoutFromEnv(env: Record<string, string | undefined> = process.env): number {
  const v = env.BOT_REQUEST_TIMEOUT_MS?.trim();
  if (!v) return DEFAULT_REQUEST_TIMEOUT_MS;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 100 || n > 600_000) throw new DatabaseError('INVALID_CONFIG', 'BOT_REQUEST_TIMEOUT_MS must be an integer from 100 to 600000 (milliseconds)', { variable: 'BOT_REQUEST_TIMEOUT_MS' });
  return n;
}

const DEADLINE = Symbol('deadline');

/**
 * Runs `work` for at most `ms`: past it, answers 503 with `Retry-After` and logs
 * `request_deadline`; the work goes on in the background (its database calls are bounded by the
 * connection's own deadlines) and its outcome is only logged.
 */
async function withDeadline<T>(reply: { code(n: number): { header(k: string, v: string): { send(body: unknown): unknown } } }, logger: Logger, ms: number, url: string, work: () => Promise<T>): Promise<T | typeof reply> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof DEADLINE>((resolve) => (timer = setTimeout(() => resolve(DEADLINE), ms)));
  const run = work();
  let first: T | typeof DEADLINE;
  try {
    first = await Promise.race([run, late]);
  } finally {
    clearTimeout(timer);
  }
  if (first !== DEADLINE) return first;
  run.then(
    () => logger.warn({ event: 'request_deadline_late_success', url, timeoutMs: ms }, 'a request answered 503 at its deadline finished afterwards'),
    (e: unknown) => logger.warn({ event: 'request_deadline_late_failure', url, timeoutMs: ms, code: describeError(e).code }, 'a request answered 503 at its deadline failed afterwards'),
  );
  logger.error({ event: 'request_deadline', url, timeoutMs: ms, code: 'REQUEST_TIMEOUT' }, `request not handled within ${ms} ms: answered 503`);
  reply.code(503).header('retry-after', String(RETRY_AFTER_S)).send({ error: 'UNAVAILABLE', code: 'REQUEST_TIMEOUT', message: `the bot could not handle this message within ${ms} ms; retry later` });
  return reply;
}

/** Largest accepted request body, in bytes (1 MiB). */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** `path: message` of zod's issues, for a 400 body. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : 'body'}: ${i.message}`)
    .join('; ');
}

/**
 * The bot's HTTP app (not listening yet: call `listen`, or `inject` in tests).
 * - `POST /messages` `{ userId, username, channelId, channelName?, guildId?, messageId?, sessionId?,
 *   content, timestamp? (unix ms) }` → 200 `{ reply, messageId, replyId, toolId?, queryId?,
 *   analysisId?, durationMs, command, hits? }` (see {@link handleMessage});
 *   400 `{ error: 'BAD_REQUEST', code: 'INVALID_INPUT', field, message }` for an invalid body (checked
 *   whole, before anything is written: ids under the id policy, numbers in range); 500 `{ error, code }` when a backend fails.
 * - `GET /healthz` → 200 `{ ok: true }` (503 once closing).
 * - `GET /status` → `{ phase, flags, routing, backends, stats }` (see {@link statusOf}).
 * - `GET /` status page, `GET /metrics` Prometheus, `GET /readyz` readiness (see {@link registerObservability}).
 * Request logging is off: the pipeline logs one `message_handled` line per message at debug.
 * The caller owns `db`: closing the app does not close it.
 */
export function buildServer({ db, logger, flags, observability, requestTimeoutMs = requestTimeoutFromEnv() }: BuildServerOptions) {
  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    return503OnClosing: true,
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (isDatabaseError(err, 'INVALID_INPUT')) return reply.code(400).send({ error: 'BAD_REQUEST', code: 'INVALID_INPUT', field: err.details?.field, message: redact(err.message) });
    if (err.statusCode && err.statusCode < 500) return reply.code(err.statusCode).send({ error: err.code ?? 'BAD_REQUEST', message: redact(err.message) });
    const d = describeError(err);
    const closed = isDatabaseError(err, 'CLOSED');
    logger.error({ event: 'request_failed', method: req.method, url: req.url, code: d.code, error: d.message }, 'request failed');
    // A backend that refuses, resets or does not answer: 503 with Retry-After, not a 500.
    if (!closed && isConnectionError(err)) {
      return reply.code(503).header('retry-after', String(RETRY_AFTER_S)).send({ error: 'UNAVAILABLE', code: d.code, message: 'a database did not answer; retry later' });
    }
    return reply.code(closed ? 503 : 500).send({ error: closed ? 'UNAVAILABLE' : 'INTERNAL', code: d.code, message: 'the bot could not handle this message; see the logs' });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` }));

  app.post('/messages', async (req, reply) => {
    const parsed = messageBody.safeParse(req.body);
    if (!parsed.success) {
      const field = parsed.error.issues[0]?.path.join('.') || 'body';
      return reply.code(400).send({ error: 'BAD_REQUEST', code: 'INVALID_INPUT', field, message: `invalid message: ${describeIssues(parsed.error)}` });
    }
    return withDeadline(reply, logger, requestTimeoutMs, '/messages', () => handleMessage(db, logger, parsed.data));
  });
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/status', async () => statusOf(db, flags));
  registerObservability(app, { ...observability, db, flags });
  return app;
}

/** The app {@link buildServer} returns. */
export type BotServer = ReturnType<typeof buildServer>;
