import type { HandledMessage } from '../handle-message.js';
import type { BotStatus } from '../status.js';

/** Outcome of one `POST /messages`. */
export type PostOutcome = { readonly ok: true; readonly body: HandledMessage } | { readonly ok: false; readonly status: number | null; readonly error: string };

/** Body of `POST /messages` as the replay sends it. */
export interface MessagePost {
  readonly userId: string;
  readonly username: string;
  readonly channelId: string;
  readonly content: string;
  readonly timestamp: number;
  readonly externalId: string;
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
    if (!res.ok) return { ok: false, status: res.status, error: `HTTP ${res.status}: ${text.slice(0, 300)}` };
    return { ok: true, body: JSON.parse(text) as HandledMessage };
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    return { ok: false, status: null, error: `${e instanceof Error ? e.message : String(e)}${cause ? ` (${cause})` : ''}` };
  }
}

/** `GET /status`. @throws Error when the bot does not answer 200. */
export async function getStatus(baseUrl: string, timeoutMs = 10_000): Promise<BotStatus> {
  const res = await fetch(new URL('/status', baseUrl), { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`GET /status answered HTTP ${res.status}`);
  return (await res.json()) as BotStatus;
}

/** How far apart two idle `/status` readings must be to call the shadow settled, ms. */
export const SETTLE_POLL_MS = 100;

/**
 * Polls `/status` until shadow writes have settled (or there is no shadow), at most `timeoutMs`.
 * Settled: `queued + inFlight + unacknowledged` is 0 (the shadow writer runs on a worker thread
 * whose counters arrive every ~20 ms; `unacknowledged` covers what it has not counted yet) in two
 * readings {@link SETTLE_POLL_MS} apart with the same counters. Returns the last status.
 */
export async function waitForShadowSettled(baseUrl: string, timeoutMs: number): Promise<{ status: BotStatus; settled: boolean }> {
  const deadline = Date.now() + timeoutMs;
  let previous = '';
  for (;;) {
    const status = await getStatus(baseUrl);
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
