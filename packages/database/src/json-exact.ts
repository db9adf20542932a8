import { isInteger, isSafeNumber, parse as parseLossless, stringify as stringifyLossless } from 'lossless-json';

/**
 * JSON with exact integers (docs/design.md invariant 7: "integers as exact, bigint-safe").
 *
 * `JSON.parse` turns every number into a double, so an integer beyond 2^53 inside JSON (a
 * Discord snowflake in a message's metadata, say) silently loses its last digits, and both sides of
 * a comparison lose them alike. PostgreSQL's jsonb keeps numbers exact (numeric), and SQLite
 * keeps the JSON text as it was written. Here such integers become `bigint` when parsed and are
 * written back as the same digits.
 *
 * Cost: texts without a number token of 16 or more digits (every integer beyond 2^53 has at
 * least 16) take `JSON.parse` as is; only the others go through lossless-json's slower parser.
 */

// A number token of 16+ digits: at the start, or after `:`, `,` or `[` (a quoted run of digits,
// such as a bigint column's value in an NDJSON line, does not match: it follows a quote).
const LONG_NUMBER = /(?:^|[:,[])\s*-?\d{16}/;

/**
 * lossless-json number parser: integers beyond 2^53 of at most 21 digits as bigint, everything
 * else as a double (as JSON.parse). Why 21: `JSON.stringify` writes a double below 1e21 as plain
 * digits (≤ 21) and from 1e21 on with an exponent, while jsonb prints every number as plain digits
 * (`1e300` comes back as 1 and 300 zeros). A longer integer token is therefore read as the double
 * it most likely was, so a double written by the app reads back the same from either backend.
 */
const parseNumber = (text: string): number | bigint => {
  if (!isInteger(text) || isSafeNumber(text)) return Number(text);
  const digits = text.length - (text.startsWith('-') ? 1 : 0);
  return digits <= 21 ? BigInt(text) : Number(text);
};

/**
 * Parses JSON text like `JSON.parse`, except that integers beyond ±(2^53 − 1) of up to 21 digits
 * (every int64 and uint64, with room to spare) come back as `bigint`, exact. Non-integers and
 * longer integers are doubles, as with `JSON.parse`.
 * @throws SyntaxError on invalid JSON (as `JSON.parse`).
 */
export function parseJsonExact(text: string): unknown {
  if (!LONG_NUMBER.test(text)) return JSON.parse(text);
  return parseLossless(text, null, parseNumber);
}

/**
 * `JSON.stringify(v)`, except that a `bigint` anywhere in `v` is written as its digits (a JSON
 * number), so `parseJsonExact(stringifyJsonExact(v))` gives `v` back. Returns undefined where
 * `JSON.stringify` does (for `undefined` or a function).
 */
export function stringifyJsonExact(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch (e) {
    // JSON.stringify throws TypeError on a bigint (ECMA-262, SerializeJSONProperty).
    if (!(e instanceof TypeError)) throw e;
    return stringifyLossless(v, null) as string;
  }
}
