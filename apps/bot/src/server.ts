import { describeError, isDatabaseError, redact, type Database, type Logger, type PhaseFlags } from '@repo/database';
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
  /** Status page, /metrics and /readyz options (shadow loss counts, data folder); see `observability/index.ts`. */
  readonly observability?: Omit<ObservabilityOptions, 'db' | 'flags'>;
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
export function buildServer({ db, logger, flags, observability }: BuildServerOptions) {
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
    return reply.code(closed ? 503 : 500).send({ error: closed ? 'UNAVAILABLE' : 'INTERNAL', code: d.code, message: 'the bot could not handle this message; see the logs' });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` }));

  app.post('/messages', async (req, reply) => {
    const parsed = messageBody.safeParse(req.body);
    if (!parsed.success) {
      const field = parsed.error.issues[0]?.path.join('.') || 'body';
      return reply.code(400).send({ error: 'BAD_REQUEST', code: 'INVALID_INPUT', field, message: `invalid message: ${describeIssues(parsed.error)}` });
    }
    return handleMessage(db, logger, parsed.data);
  });
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/status', async () => statusOf(db, flags));
  registerObservability(app, { ...observability, db, flags });
  return app;
}

/** The app {@link buildServer} returns. */
export type BotServer = ReturnType<typeof buildServer>;
