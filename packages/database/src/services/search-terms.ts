import { sanitizeText, toNfc } from './sanitize.js';

/** At most this many terms are used from one query. */
export const MAX_SEARCH_TERMS = 16;
/** Terms longer than this many characters are cut. */
export const MAX_TERM_LENGTH = 64;

/** A word: a letter or digit, then letters, digits and combining marks (`é` typed as `e` + U+0301, Devanagari vowel signs). */
const WORD = /[\p{L}\p{N}][\p{L}\p{N}\p{M}]*/gu;

/**
 * Turns any user input into search terms that both backends treat as plain words: runs of
 * letters, digits and the combining marks inside them (Unicode), in NFC, lower-cased,
 * deduplicated. Operators and syntax (`"`, `-`, `NOT` as an operator, `col:x`, `*`, parentheses)
 * lose their meaning. Empty input, emoji only or punctuation only gives `[]`, which the service
 * answers with no results. A word keeps its marks: PostgreSQL's 'simple' parser keeps them in the
 * word, and LibSQL's FTS5 reads a quoted term as the phrase of its own tokens, so the same word
 * matches on both (see {@link termForms} for text stored decomposed).
 */
export function searchTerms(input: string): string[] {
  const words = toNfc(sanitizeText(String(input ?? '')).toLowerCase()).match(WORD) ?? [];
  const out: string[] = [];
  for (const w of words) {
    const t = w.slice(0, MAX_TERM_LENGTH);
    if (!out.includes(t)) out.push(t);
    if (out.length === MAX_SEARCH_TERMS) break;
  }
  return out;
}

/**
 * The stored forms one search term matches: the term (NFC, as the services store text) and, when
 * it differs, its NFD (`cafe` + U+0301), the form legacy rows written by omega-bot from a
 * decomposing keyboard hold. Both dialects search for either form, so a legacy row is found by
 * the same query on both backends without rewriting it.
 */
export function termForms(term: string): string[] {
  const nfd = term.normalize('NFD');
  return nfd === term ? [term] : [term, nfd];
}
