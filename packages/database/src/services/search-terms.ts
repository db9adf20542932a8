import { sanitizeText } from './sanitize.js';

/** At most this many terms are used from one query. */
export const MAX_SEARCH_TERMS = 16;
/** Terms longer than this many characters are cut. */
export const MAX_TERM_LENGTH = 64;

/**
 * Turns any user input into search terms that both backends treat as plain words: runs of
 * letters and digits (Unicode), lower-cased, deduplicated. Operators and syntax (`"`, `-`, `NOT`
 * as an operator, `col:x`, `*`, parentheses) lose their meaning. Empty input, emoji only or
 * punctuation only gives `[]`, which the service answers with no results.
 */
export function searchTerms(input: string): string[] {
  const words = sanitizeText(String(input ?? '')).toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const out: string[] = [];
  for (const w of words) {
    const t = w.slice(0, MAX_TERM_LENGTH);
    if (!out.includes(t)) out.push(t);
    if (out.length === MAX_SEARCH_TERMS) break;
  }
  return out;
}
