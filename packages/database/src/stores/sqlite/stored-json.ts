import { parseJsonExact } from '../../json-exact.js';

/**
 * The policy for a JSON column whose stored text is not JSON (omega-bot's files hold some, e.g.
 * metadata written with a leading BOM). The same on read (this module) and in `pnpm db repair`:
 * - text that is JSON once leading byte order marks (U+FEFF) are removed is that JSON (`bom`);
 * - anything else is `invalid_json`: a read returns **null** for that value only (the rest of the
 *   row and the other rows are returned; the store logs it with table, id and column), and
 *   repair rewrites it as `{"raw": <the text>}` so nothing is lost and every reader gets JSON.
 */
export type JsonRead = { ok: true; value: unknown; bom: boolean } | { ok: false; error: string };

const LEADING_BOM = /^\uFEFF+/;

/** Parses stored JSON text with the policy above (exact numbers, json-exact.ts). Never throws. */
export function readStoredJson(text: string): JsonRead {
  try {
    return { ok: true, value: parseJsonExact(text), bom: false };
  } catch (e) {
    if (LEADING_BOM.test(text)) {
      try {
        return { ok: true, value: parseJsonExact(text.replace(LEADING_BOM, '')), bom: true };
      } catch {
        // not JSON without the BOM either
      }
    }
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}
