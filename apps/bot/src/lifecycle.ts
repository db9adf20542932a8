import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { assertAdopted, createDatabase, DatabaseError, derivePhase, describeError, isDatabaseError, redactUrl, type Database, type Logger } from '@repo/database';
import type { BotConfig } from './config.js';
import { ShadowEventCounts } from './observability/index.js';
import { buildServer, requestTimeoutFromEnv, type BotServer } from './server.js';

/**
 * Default of BOT_SHUTDOWN_TIMEOUT_MS, in ms: below Railway's `drainingSeconds` (15 s in
 * railway.json), after which the process is killed.
 */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 12_000;
/** What the shutdown keeps, after the drain, for the failure journal and closing connections (ms). */
const CLOSE_RESERVE_MS = 3_000;

/** The bot's deadlines (ms). */
export interface BotDeadlines {
  /** One `POST /messages` (BOT_REQUEST_TIMEOUT_MS, default 8,000): answered 503 with Retry-After past it. */
  readonly requestTimeoutMs: number;
  /**
   * The whole graceful stop (BOT_SHUTDOWN_TIMEOUT_MS, default 12,000, keep it below the platform's
   * draining time): requests in flight get their deadline, the shadow drain gets what is left
   * minus 3 s (never more than SHADOW_DRAIN_TIMEOUT_MS), the failure journal and the connections
   * the rest; past it, `stop()` resolves anyway with `drained: false`.
   */
  readonly shutdownTimeoutMs: number;
}

/**
 * Reads BOT_REQUEST_TIMEOUT_MS and BOT_SHUTDOWN_TIMEOUT_MS (1,000–600,000).
 * @throws DatabaseError `INVALID_CONFIG` naming the variable (not its value).
 */
export function deadlinesFromEnv(env: Record<string, string | undefined> = process.env): BotDeadlines {
  const v = env.BOT_SHUTDOWN_TIMEOUT_MS?.trim();
  let shutdownTimeoutMs = DEFAULT_SHUTDOWN_TIMEOUT_MS;
  if (v) {
    shutdownTimeoutMs = Number(v);
    if (!Number.isInteger(shutdownTimeoutMs) || shutdownTimeoutMs < 1_000 || shutdownTimeoutMs > 600_000) {
      throw new DatabaseError('INVALID_CONFIG', 'BOT_SHUTDOWN_TIMEOUT_MS must be an integer from 1000 to 600000 (milliseconds)', { variable: 'BOT_SHUTDOWN_TIMEOUT_MS' });
    }
  }
  return { requestTimeoutMs: requestTimeoutFromEnv(env), shutdownTimeoutMs };
}

/** A listening bot: its HTTP app, its database and how to stop both. */
export interface RunningBot {
  readonly app: BotServer;
  readonly db: Database;
  /** Base URL to reach it from this machine (`http://127.0.0.1:<port>` when bound to 0.0.0.0). */
  readonly url: string;
  /**
   * Graceful stop within the shutdown deadline ({@link BotDeadlines.shutdownTimeoutMs}): stop
   * accepting (fastify `close`, in-flight requests finish or get their 503 at the request deadline,
   * keep-alive clients get 503), then `db.close()`, which drains shadow writes (at most
   * SHADOW_DRAIN_TIMEOUT_MS and what the deadline leaves), journals and logs by id what was left.
   * Past the deadline it resolves anyway (`shutdown_deadline` logged). Idempotent. Resolves with
   * the drain result.
   */
  stop(): Promise<{ drained: boolean; remaining: number }>;
}

/**
 * For `file:` URLs, creates the database's folder (the default lives in `apps/bot/data/`), one
 * level at a time from the nearest existing ancestor: `mkdirSync(…, { recursive: true })` spins
 * forever at full CPU where mkdir answers ENOENT under an existing folder (`/proc/x`).
 * @throws DatabaseError `INVALID_CONFIG` naming LIBSQL_URL (not its value) with the OS error code.
 */
export function ensureFolder(libsqlUrl: string): void {
  if (!libsqlUrl.startsWith('file:')) return;
  const path = libsqlUrl.slice('file:'.length).split('?')[0]!;
  if (!path || path === ':memory:') return;
  const missing: string[] = [];
  for (let dir = dirname(resolve(path)); !existsSync(dir); dir = dirname(dir)) {
    missing.unshift(dir);
    if (dirname(dir) === dir) break;
  }
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (e) {
      const code = (e as { code?: string }).code ?? 'UNKNOWN';
      if (code === 'EEXIST') continue;
      throw new DatabaseError('INVALID_CONFIG', `LIBSQL_URL: the folder of the LibSQL file cannot be created (${code})`, { variable: 'LIBSQL_URL', cause: code });
    }
  }
}

/**
 * Opens the database (migrating it), builds the HTTP app and listens on `config.host:config.port`.
 * @throws DatabaseError `LEGACY_SCHEMA` (an omega-bot LibSQL file not adopted: run `pnpm db adopt`), `UNSAFE_PHASE`, `DATABASE_URL_MISSING`, `DATABASE_UNREACHABLE` from
 *   `createDatabase`; a listen error (`EADDRINUSE`, `EACCES`) after closing the database again.
 */
export async function startBot(config: BotConfig, logger: Logger, deadlines: Partial<BotDeadlines> = {}): Promise<RunningBot> {
  const { requestTimeoutMs, shutdownTimeoutMs } = { ...deadlinesFromEnv(), ...deadlines };
  ensureFolder(config.db.libsqlUrl);
  // An omega-bot file not adopted yet: one line, LEGACY_SCHEMA, before anything is written to it.
  const routing = derivePhase(config.db.flags);
  if (routing.primary === 'sqlite' || routing.shadow === 'sqlite') {
    await assertAdopted(config.db.libsqlUrl, config.db.libsqlAuthToken, 'starting the bot').catch((e: unknown) => {
      if (isDatabaseError(e)) throw e;
      // The file or server could not be read at all (DNS, refused, no such folder): one line, cause kept.
      throw new DatabaseError('DATABASE_UNREACHABLE', `LibSQL at ${redactUrl(config.db.libsqlUrl)} is unreachable${describeError(e).code === 'UNKNOWN' ? '' : ` (${describeError(e).code})`}`, { backend: 'LibSQL' }, { cause: e });
    });
  }
  // Shadow writes lost, by table and cause, for /metrics and the status page (counted from the database's events).
  const shadowEvents = new ShadowEventCounts();
  const db = await createDatabase(config.db, { logger: shadowEvents.tap(logger) });
  const app = buildServer({ db, logger, flags: config.flags, observability: { shadowEvents }, requestTimeoutMs });
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (e) {
    await app.close().catch(() => {});
    await db.close();
    throw e;
  }
  const { port } = app.server.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  logger.info({ event: 'bot_listening', host: config.host, port, phase: db.routing.phase }, `bot listening on ${config.host}:${port} (phase ${db.routing.phase})`);

  let stopping: Promise<{ drained: boolean; remaining: number }> | null = null;
  return {
    app,
    db,
    url,
    stop() {
      stopping ??= (async () => {
        const deadline = Date.now() + shutdownTimeoutMs;
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<{ drained: boolean; remaining: number }>((resolve) => {
          timer = setTimeout(() => {
            logger.error({ event: 'shutdown_deadline', timeoutMs: shutdownTimeoutMs }, `shutdown not done within ${shutdownTimeoutMs} ms: stopping anyway`);
            resolve({ drained: false, remaining: db.shadowStats()?.queued ?? 0 });
          }, shutdownTimeoutMs);
          timer.unref();
        });
        const graceful = (async () => {
          await app.close();
          const drainTimeoutMs = Math.max(0, Math.min(config.db.shadow.drainTimeoutMs, deadline - Date.now() - CLOSE_RESERVE_MS));
          const result = await db.close({ drainTimeoutMs });
          logger.info({ event: 'bot_stopped', ...result }, result.drained ? 'bot stopped, shadow writes drained' : `bot stopped with ${result.remaining} shadow writes not done`);
          return result;
        })();
        try {
          return await Promise.race([graceful, late]);
        } finally {
          clearTimeout(timer);
        }
      })();
      return stopping;
    },
  };
}

/**
 * On SIGTERM (Railway sends it on every deploy) or SIGINT: `bot.stop()`, then `exit(0)`
 * (`exit(1)` when stopping throws). A second signal exits at once with 1.
 */
export function stopOnSignals(bot: RunningBot, logger: Logger, exit: (code: number) => void = (c) => process.exit(c)): () => void {
  let received = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++received > 1) {
      logger.warn({ event: 'shutdown_forced', signal }, `second ${signal}: exiting without waiting`);
      exit(1);
      return;
    }
    logger.info({ event: 'shutdown', signal }, `${signal}: no new requests, finishing in-flight ones, draining shadow writes`);
    bot.stop().then(
      () => exit(0),
      (e: unknown) => {
        logger.error({ event: 'shutdown_failed', error: e instanceof Error ? e.message : String(e) }, 'shutdown failed');
        exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
}
