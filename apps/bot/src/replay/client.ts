import type { HandledMessage } from '../handle-message.js';
import type { BotStatus } from '../status.js';

/**
 * Outcome of one `POST /messages`. `refused`: the bot did not handle it: the connection was
 * refused, fastify answered 503 because the server is closing, or a keep-alive connection was
 * closed or reset without an answer (what a graceful restart does to idle connections; a graceful
 * stop answers every request it handles first). Sending it again then stores nothing twice. Only after
 * a crash (SIGKILL) in the middle of a request could that request have been stored already.
 */
export type PostOutcome =
  | { readonly ok: true; readonly body: HandledMessage }
  | { readonly ok: false; readonly status: number | null; readonly error: string; readonly refused: boolean };

/** Fastify's own body for a request that reached a closing server (`return503OnClosing`): the route never ran. */
const CLOSING_BODY = '"error":"Service Unavailable"';

/**
 * True when an error of `fetch` means the bot is down or restarting: the connection was refused
 * (`ECONNREFUSED`: nothing listens) or closed without an answer (undici's `UND_ERR_SOCKET`,
 * `ECONNRESET`).
 */
export function isRefused(e: unknown): boolean {
  const code = (e as { cause?: { code?: string } }).cause?.code;
  return code === 'ECONNREFUSED' || code === 'UND_ERR_SOCKET' || code === 'ECONNRESET';
}

/** Body of `POST /messages` as the replay sends it (see `messageBody` in handle-message.ts). */
export interface MessagePost {
  readonly userId: string;
  readonly username: string;
  readonly channelId: string;
  /** Left out for a direct-message channel (the bot then uses `channelId`). */
  readonly channelName?: string;
  /** Left out for a direct-message channel. */
  readonly guildId?: string;
  /** The platform's message id (a snowflake). */
  readonly messageId: string;
  readonly sessionId: string;
  readonly content: string;
  /** Unix ms. */
  readonly timestamp: number;
}

/** Posts one message (global `fetch`); never throws: network errors and non-2xx become `{ ok: false }`. */
export async function postMessage(baseUrl: string, message: MessagePost, timeoutMs: number): Promise<PostOutcome> {
  try {
    const res = await fetch(new URL('/messages', baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(message),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    if (!res.ok) return { ok: false, status: res.status, error: `HTTP ${res.status}: ${text.slice(0, 300)}`, refused: res.status === 503 && text.includes(CLOSING_BODY) };
    return { ok: true, body: JSON.parse(text) as HandledMessage };
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    return { ok: false, status: null, error: `${e instanceof Error ? e.message : String(e)}${cause ? ` (${cause})` : ''}`, refused: isRefused(e) };
  }
}

/** `GET /status`. @throws Error when the bot does not answer 200 (`refused: true` on it when the bot is down or closing). */
export async function getStatus(baseUrl: string, timeoutMs = 10_000): Promise<BotStatus> {
  let res: Response;
  try {
    res = await fetch(new URL('/status', baseUrl), { signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    throw Object.assign(new Error(`GET /status failed: ${e instanceof Error ? e.message : String(e)}${(e as { cause?: { code?: string } }).cause?.code ? ` (${(e as { cause: { code: string } }).cause.code})` : ''}`), { refused: isRefused(e) });
  }
  if (!res.ok) throw Object.assign(new Error(`GET /status answered HTTP ${res.status}`), { refused: res.status === 503 });
  return (await res.json()) as BotStatus;
}

/**
 * {@link getStatus}, but while the bot refuses (down or restarting) it asks again every
 * `pollMs` for at most `retryMs`.
 * @throws Error as getStatus once `retryMs` has passed, or at once for any other failure.
 */
export async function getStatusRetrying(baseUrl: string, retryMs: number, pollMs = 250): Promise<BotStatus> {
  const deadline = Date.now() + retryMs;
  for (;;) {
    try {
      return await getStatus(baseUrl);
    } catch (e) {
      if (!(e as { refused?: boolean }).refused || Date.now() >= deadline) throw e;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
}

/** How far apart two idle `/status` readings must be to call the shadow settled, ms. */
export const SETTLE_POLL_MS = 100;

/**
 * Polls `/status` until shadow writes have settled (or there is no shadow), at most `timeoutMs`.
 * Settled: `queued + inFlight + unacknowledged` is 0 (the shadow writer runs on a worker thread
 * whose counters arrive every ~20 ms; `unacknowledged` covers what it has not counted yet) in two
 * readings {@link SETTLE_POLL_MS} apart with the same counters. Returns the last status. While the
 * bot refuses (restarting), each reading is retried for at most `retryMs` (default 0: no retry).
 */
export async function waitForShadowSettled(baseUrl: string, timeoutMs: number, retryMs = 0): Promise<{ status: BotStatus; settled: boolean }> {
  const deadline = Date.now() + timeoutMs;
  let previous = '';
  for (;;) {
    const status = await getStatusRetrying(baseUrl, retryMs);
    const s = status.stats.shadow;
    if (!s) return { status, settled: true };
    const idle = s.queued + s.inFlight + (s.unacknowledged ?? 0) === 0;
    const counters = JSON.stringify([s.enqueued, s.succeeded, s.failed, s.dropped]);
    if (idle && counters === previous) return { status, settled: true };
    previous = idle ? counters : '';
    if (Date.now() >= deadline) return { status, settled: false };
    await new Promise((r) => setTimeout(r, SETTLE_POLL_MS));
  }
}
