import type { ShadowStats } from '@repo/database';
import { getStatus, postMessage, waitForShadowSettled, type PostOutcome } from './client.js';
import { EVENT_KINDS, planReplay, type DocState, type EventKind } from './plan.js';

/** Settings of {@link runReplay}. */
export interface ReplayOptions {
  /** Base URL of the bot (`http://127.0.0.1:3000`). */
  readonly url: string;
  /** Corpus entries to post as chat messages, in order. */
  readonly entries: readonly string[];
  /** Requests in flight at once. */
  readonly concurrency: number;
  readonly users: number;
  readonly channels: number;
  /** A `!search` every this many entries (0 = none). */
  readonly searchEvery: number;
  readonly seed: number;
  /** Per-request deadline, ms. Default 30,000. */
  readonly requestTimeoutMs?: number;
  /** How long to wait after the last request for shadow writes to settle, ms. Default 30,000. */
  readonly settleTimeoutMs?: number;
  /**
   * When the bot stops answering in the middle of the run (a restart, a deploy: see `refused` of
   * {@link PostOutcome}), how long to keep re-sending the refused request and reading `/status`,
   * ms. Such a request was never handled, so re-sending it stores nothing twice. Default 0: a
   * refused request counts as failed at once.
   */
  readonly retryMs?: number;
  /** At most this many requests per second over all workers (default: as fast as answers come). */
  readonly ratePerSecond?: number;
  /** First message time, unix ms (default: the plan ends about now). */
  readonly startAt?: number;
  /** Called after each request with (done, total); when it returns a promise, that worker waits for it. */
  readonly onProgress?: (done: number, total: number) => void | Promise<void>;
}

/** What a replay did, as printed (text or `--json`). Times in ms. */
export interface ReplaySummary {
  readonly url: string;
  /** The bot's phase at the end of the run. */
  readonly phase: string;
  /** The bot's phase at the start (differs from `phase` when it restarted with other variables). */
  readonly phaseAtStart: string;
  readonly entries: number;
  readonly requests: { readonly sent: number; readonly ok: number; readonly failed: number };
  /** Messages stored: per successful request the human message and the bot's `ai` reply, plus a `tool` message per recorded `!search`. */
  readonly messagesStored: number;
  /** Query records stored (one per recorded `!search`). */
  readonly queriesStored: number;
  /** `user_analysis_history` rows stored (message-count milestones). */
  readonly analysesStored: number;
  readonly events: Readonly<Record<EventKind, number>>;
  readonly searches: { readonly answered: number; readonly withHits: number };
  readonly documentsCreated: number;
  /** Documents `!doc delete` deleted (each leaves tombstones: the document and its collaborators). */
  readonly documentsDeleted: number;
  /** First failed requests (at most 10), `#index kind: error`. */
  readonly errors: string[];
  /**
   * Shadow counters of this run (`GET /status` after minus before; inFlight/queued as after); null
   * when the phase has no shadow. `sinceRestart`: the bot restarted during the run, so these are
   * its counters since that last start (not subtracted).
   */
  readonly shadow: (Pick<ShadowStats, 'backend' | 'enqueued' | 'succeeded' | 'failed' | 'timedOut' | 'dropped' | 'inFlight' | 'queued'> & { readonly settled: boolean; readonly sinceRestart: boolean }) | null;
  /**
   * Times the bot stopped answering during the run (see `retryMs`), the time it was away in all
   * (ms), and how many requests it refused were sent again (each counted once).
   */
  readonly outages: { readonly count: number; readonly totalMs: number; readonly resent: number };
  /** Time to send every request and get every answer. */
  readonly elapsedMs: number;
  /** Time waited afterwards for shadow writes to settle. */
  readonly settleMs: number;
  /** Successful requests per second of `elapsedMs`. */
  readonly messagesPerSecond: number;
}

const DOC_CREATED = /^Created document ([0-9a-f-]{36}) /;
const DOC_DELETED = /^Deleted document ([0-9a-f-]{36})\./;

/**
 * Posts a replay plan (see `plan.ts`) to a running bot over HTTP with `concurrency` requests in
 * flight, as a chat platform would, then reads `/status` once shadow writes have settled.
 * Never throws for a failed request: failures are counted in `requests.failed` and `errors`.
 * With `retryMs`, a bot that restarts mid-run (SIGTERM, drain, start again) is waited for, and the
 * requests it refused meanwhile are sent again (`outages`).
 * @throws Error when `/status` cannot be read before the run, or after it (within `retryMs`).
 */
export async function runReplay(opts: ReplayOptions): Promise<ReplaySummary> {
  const plan = planReplay(opts.entries, { users: opts.users, channels: opts.channels, searchEvery: opts.searchEvery, seed: opts.seed, searchLag: 2 * opts.concurrency + 2, startAt: opts.startAt });
  const docs: DocState = new Map();
  const events = Object.fromEntries(EVENT_KINDS.map((k) => [k, 0])) as Record<EventKind, number>;
  const searches = { answered: 0, withHits: 0 };
  const errors: string[] = [];
  let ok = 0;
  let failed = 0;
  let documentsCreated = 0;
  let documentsDeleted = 0;
  let messagesStored = 0;
  let queriesStored = 0;
  let analysesStored = 0;
  let next = 0;
  let done = 0;

  const retryMs = opts.retryMs ?? 0;
  const gapMs = opts.ratePerSecond ? 1000 / opts.ratePerSecond : 0;
  // Counters of a long-running bot include earlier traffic: report this run's share.
  const first = await getStatus(opts.url);
  const before = first.stats.shadow;
  const outages = { count: 0, totalMs: 0, resent: 0 };
  let awaySince: number | null = null; // when the bot last stopped answering
  let nextAt = 0; // earliest start of the next request (--rate)
  const started = performance.now();
  const send = async (body: Parameters<typeof postMessage>[1]): Promise<PostOutcome> => {
    const deadline = Date.now() + retryMs;
    for (let attempt = 0; ; attempt++) {
      if (attempt === 1) outages.resent++;
      const sentAt = performance.now();
      const res = await postMessage(opts.url, body, opts.requestTimeoutMs ?? 30_000);
      if (res.ok || !res.refused || retryMs <= 0 || Date.now() >= deadline) {
        // Only a request sent after the bot went away shows it is back (a closing bot still answers
        // the requests it had already received).
        if (res.ok && awaySince !== null && sentAt > awaySince) {
          outages.totalMs += performance.now() - awaySince;
          awaySince = null;
        }
        return res;
      }
      if (awaySince === null) {
        awaySince = performance.now();
        outages.count++;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const worker = async () => {
    for (let i = next++; i < plan.events.length; i = next++) {
      const ev = plan.events[i]!;
      const user = plan.users[ev.user]!;
      events[ev.kind]++;
      if (gapMs > 0) {
        const now = performance.now();
        const at = Math.max(now, nextAt);
        nextAt = at + gapMs;
        if (at > now) await new Promise((r) => setTimeout(r, at - now));
      }
      const channel = plan.channels[ev.channel]!;
      const res = await send({
        userId: user.id,
        username: user.name,
        channelId: channel.id,
        ...(channel.name !== undefined ? { channelName: channel.name } : {}),
        ...(channel.guildId !== undefined ? { guildId: channel.guildId } : {}),
        messageId: ev.messageId,
        sessionId: ev.sessionId,
        content: ev.render(docs),
        timestamp: ev.timestamp,
      });
      if (res.ok) {
        ok++;
        messagesStored += 2 + (res.body.toolId ? 1 : 0);
        if (res.body.queryId) queriesStored++;
        if (res.body.analysisId) analysesStored++;
        if (res.body.command === 'search') {
          searches.answered++;
          if ((res.body.hits ?? 0) > 0) searches.withHits++;
        }
        const created = DOC_CREATED.exec(res.body.reply);
        if (res.body.command === 'doc' && created) {
          documentsCreated++;
          docs.set(ev.user, [...(docs.get(ev.user) ?? []), created[1]!]);
        }
        const deleted = DOC_DELETED.exec(res.body.reply);
        if (res.body.command === 'doc' && deleted) {
          documentsDeleted++;
          docs.set(ev.user, (docs.get(ev.user) ?? []).filter((id) => id !== deleted[1]));
        }
      } else {
        failed++;
        if (errors.length < 10) errors.push(`#${i} ${ev.kind}: ${res.error}`);
      }
      await opts.onProgress?.(++done, plan.events.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, worker));
  const elapsedMs = Math.round(performance.now() - started);

  const settleStarted = performance.now();
  const { status, settled } = await waitForShadowSettled(opts.url, opts.settleTimeoutMs ?? 30_000, retryMs);
  const s = status.stats.shadow;
  // A restart resets the bot's counters: then report them since that start.
  const restarted = outages.count > 0 || status.phase !== first.phase || (s !== null && before !== null && s.enqueued < before.enqueued);
  const delta = (k: 'enqueued' | 'succeeded' | 'failed' | 'timedOut' | 'dropped') => (s ? s[k] - (restarted ? 0 : (before?.[k] ?? 0)) : 0);
  if (awaySince !== null) outages.totalMs += performance.now() - awaySince;
  return {
    url: opts.url,
    phase: status.phase,
    phaseAtStart: first.phase,
    entries: plan.entries,
    requests: { sent: plan.events.length, ok, failed },
    messagesStored,
    queriesStored,
    analysesStored,
    events,
    searches,
    documentsCreated,
    documentsDeleted,
    errors,
    shadow: s
      ? { backend: s.backend, enqueued: delta('enqueued'), succeeded: delta('succeeded'), failed: delta('failed'), timedOut: delta('timedOut'), dropped: delta('dropped'), inFlight: s.inFlight, queued: s.queued, settled, sinceRestart: restarted }
      : null,
    outages: { count: outages.count, totalMs: Math.round(outages.totalMs), resent: outages.resent },
    elapsedMs,
    settleMs: Math.round(performance.now() - settleStarted),
    messagesPerSecond: elapsedMs > 0 ? Math.round((ok / (elapsedMs / 1000)) * 10) / 10 : 0,
  };
}
