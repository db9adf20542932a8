import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_DATA_DIR, type Database, type Logger, type PhaseFlags } from '@repo/database';
import type { FastifyInstance, RawServerDefault } from 'fastify';
import { HISTORY_INTERVAL_MS, ShadowHistory } from './history.js';
import { createMetrics } from './metrics.js';
import { FRAGMENT_PATH, renderFragment, renderPage } from './page.js';
import { readinessOf } from './readiness.js';
import type { ShadowEventCounts } from './shadow-events.js';
import { comparedReadsOf, journalOf, type ComparedReadsSource, type JournalSource } from './sources.js';
import { gatherView } from './view.js';

export { ShadowEventCounts } from './shadow-events.js';
export type { ComparedReadsSource, ComparedReadsState, JournalSource, JournalState } from './sources.js';

/** What {@link registerObservability} needs; only `db` is required. */
export interface ObservabilityOptions {
  readonly db: Database;
  readonly flags?: PhaseFlags | undefined;
  /** Shadow losses by table and cause, counted from the logger given to `createDatabase` (see {@link ShadowEventCounts.tap}). */
  readonly shadowEvents?: ShadowEventCounts | undefined;
  /** Default: `db.comparedReads()` when the database has it, else "not enabled". */
  readonly comparedReads?: ComparedReadsSource;
  /** Default: `db.journalSize()` when the database has it, else "unknown". */
  readonly journal?: JournalSource;
  /** Folder of `last-verify.json` / `last-gate.json`. Default `MIGRATION_DATA_DIR`, else `migration-data` (relative to the working directory, as `pnpm db`). */
  readonly dataDir?: string;
  /** Sampling period of the page's chart, ms. Default `STATUS_SAMPLE_INTERVAL_MS`, else 10 s. */
  readonly sampleEveryMs?: number;
}

/** `STATUS_SAMPLE_INTERVAL_MS` as a period in ms: an integer from 100 to 60,000; anything else (or unset) gives the default 10 s. */
export function sampleIntervalOf(raw: string | undefined): number {
  const n = Number(raw);
  return raw && Number.isInteger(n) && n >= 100 && n <= 60_000 ? n : HISTORY_INTERVAL_MS;
}

/** Content-Security-Policy of the page: inline style and script only, fetches to this origin only. */
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * Adds the operator's routes to the bot's app:
 * - `GET /` the status page (HTML, server-rendered, refreshes itself from {@link FRAGMENT_PATH} every 5 s);
 * - `GET /status/fragment` the page's `<main>` alone;
 * - `GET /metrics` Prometheus text format (see {@link createMetrics});
 * - `GET /readyz` 200 `{ ready: true, … }` or 503 `{ ready: false, code: 'PRIMARY_UNREACHABLE' | 'SCHEMA_MISSING', reason, … }`.
 * Starts a 10 s sampler of the shadow counters (the page's one-hour chart), stopped when the app closes.
 */
export function registerObservability(app: FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, Logger>, o: ObservabilityOptions): void {
  const { db } = o;
  const dataDir = o.dataDir ?? process.env.MIGRATION_DATA_DIR ?? DEFAULT_DATA_DIR;
  const comparedReads = o.comparedReads ?? comparedReadsOf(db);
  const journal = o.journal ?? journalOf(db);
  const history = new ShadowHistory();
  history.start(() => db.shadowStats(), o.sampleEveryMs ?? sampleIntervalOf(process.env.STATUS_SAMPLE_INTERVAL_MS));
  app.addHook('onClose', async () => history.stop());
  const registry = createMetrics({ db, flags: o.flags, shadowEvents: o.shadowEvents, comparedReads, journal, dataDir });
  const view = () => gatherView({ db, flags: o.flags, history, shadowEvents: o.shadowEvents, comparedReads, journal, dataDir });

  app.get('/', async (_req, reply) =>
    reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').header('content-security-policy', PAGE_CSP).header('x-content-type-options', 'nosniff').send(renderPage(await view())),
  );
  app.get(FRAGMENT_PATH, async (_req, reply) => reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(renderFragment(await view())));
  app.get('/metrics', async (_req, reply) => reply.header('content-type', registry.contentType).header('cache-control', 'no-store').send(await registry.metrics()));
  app.get('/readyz', async (_req, reply) => {
    const r = await readinessOf(db);
    return reply.code(r.ready ? 200 : 503).header('cache-control', 'no-store').send(r);
  });
}
