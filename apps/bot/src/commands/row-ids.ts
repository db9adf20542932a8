import { keyId } from '@repo/database';

/**
 * The roles of the rows one inbound message writes, besides its human message: the bot's reply,
 * the `!search` tool execution and query record (and the query record of a search that failed),
 * the `!doc new` document.
 */
export type RowRole = 'reply' | 'tool' | 'query' | 'query-error' | 'document';

/**
 * The id of the row playing `role` for one inbound message, derived from the id of its stored
 * human message, itself derived from the platform message (`channelId`, `messageId`,
 * `humanMessageId`): a UUIDv5 (`keyId`), so UUID-shaped like every other id. Two copies of one
 * message (a retry, a copy in flight at once, on another replica) compute the same id, so the
 * second write collides on the primary key instead of storing a second row.
 */
export function rowIdOf(humanId: string, role: RowRole): string {
  const table = role === 'query' || role === 'query-error' ? 'queries' : role === 'document' ? 'documents' : 'messages';
  return keyId(table, role, humanId);
}

/**
 * Writes one row with a derived id ({@link rowIdOf}): `insert()`, and when it fails, `read()` of
 * that id: when the row is there, another copy of the same message stored it (or this insert
 * committed before its answer was lost), and it is returned with `created: false`.
 * @returns the row, and whether this call stored it.
 * @throws the insert's error when the row is not there (or cannot be read: the read's error is dropped).
 */
export async function insertOnce<T>(insert: () => Promise<T>, read: () => Promise<T | null>): Promise<{ row: T; created: boolean }> {
  try {
    return { row: await insert(), created: true };
  } catch (e) {
    const existing = await read().catch(() => null);
    if (existing !== null) return { row: existing, created: false };
    throw e;
  }
}
