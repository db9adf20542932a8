// Bulk mode holds back rows whose indexed values may not fit an index row (held-rows.ts), so the
// deferred index builds cannot fail on them and PostgreSQL rejects them after the build as online
// mode would (the load itself: test/transfer-pool.test.ts, a 12 KB channel id in an empty target).
import { describe, expect, it } from 'vitest';
import { btreeColumns, HOLD_BACK_BYTES, mayExceedIndexRow } from '../src/transfer/load/held-rows.js';

describe('held rows of a bulk load', () => {
  it('reads the btree columns of deferred index definitions (quoted names, GIN and expressions ignored)', () => {
    expect(
      btreeColumns([
        'CREATE INDEX messages_channel_ts_idx ON public.messages USING btree (channel_id, "timestamp", id)',
        'CREATE INDEX messages_search_idx ON public.messages USING gin (search_vector)',
        'CREATE INDEX idx_messages_session_id ON public.messages USING btree (session_id)',
        'CREATE INDEX lower_idx ON public.messages USING btree (lower(username))',
      ]).sort(),
    ).toEqual(['channel_id', 'id', 'session_id', 'timestamp']);
  });

  it('holds back a row only when its indexed values may exceed an index row, in UTF-8 bytes', () => {
    const cols = ['channel_id', 'timestamp', 'id'];
    expect(mayExceedIndexRow({ channel_id: 'c1', timestamp: 1, id: 'm1', message_content: 'x'.repeat(100_000) }, cols)).toBe(false);
    expect(mayExceedIndexRow({ channel_id: 'x'.repeat(12_000), timestamp: 1, id: 'm1' }, cols)).toBe(true);
    // 700 characters of 3-byte UTF-8 are 2,100 bytes: over; 700 ASCII characters are not.
    expect(mayExceedIndexRow({ channel_id: '東'.repeat(700), timestamp: 1, id: 'm1' }, cols)).toBe(true);
    expect(mayExceedIndexRow({ channel_id: 'a'.repeat(700), timestamp: 1, id: 'm1' }, cols)).toBe(false);
    expect(mayExceedIndexRow({ channel_id: null, timestamp: null, id: 'm1' }, cols)).toBe(false);
    expect(HOLD_BACK_BYTES).toBeLessThan(2704); // btree's limit for one index row
  });
});
