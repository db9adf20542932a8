/**
 * The state of the full-text search `messages_fts` of a file against the product's (SQLITE_FTS:
 * omega-bot's names and columns, FTS5 'delete' triggers, tokenizer `unicode61 remove_diacritics 0`).
 * An external-content FTS5 index over `messages` is derived data: adopt drops and rebuilds it
 * from `messages`. Anything else named `messages_fts` may hold data of its own and is refused.
 */
import { SQLITE_FTS } from '../schema/sqlite-ddl.js';
import { SEARCH_COLUMNS } from '../schema/tables.js';
import type { SchemaInspection } from './inspect.js';

/** `current`: as the product creates it; `rebuild`: an index of messages to drop and rebuild (why in `reason`); `foreign`: refused. */
export type FtsState =
  | { readonly kind: 'current' }
  | { readonly kind: 'rebuild'; readonly reason: string }
  | { readonly kind: 'foreign'; readonly reason: string };

/** SQL text compared without `IF NOT EXISTS`, case, quotes and layout whitespace. */
export function normalizeSql(sql: string): string {
  return sql
    .replace(/\bIF\s+NOT\s+EXISTS\b/i, '')
    .replace(/"/g, '')
    .replace(/\s+/g, ' ')
    .replace(/\s*([(),;=])\s*/g, '$1')
    .trim()
    .toLowerCase();
}

/** The arguments of `USING fts5(…)`: columns and `key=value` options (quotes removed). */
export function fts5Args(sql: string): { module: string; columns: string[]; options: Record<string, string> } | null {
  const m = /USING\s+(\w+)\s*\(([\s\S]*)\)\s*$/i.exec(sql);
  if (!m) return null;
  const parts: string[] = [];
  let cur = '';
  let quote: string | null = null;
  for (const ch of m[2]!) {
    if (quote) {
      if (ch === quote) quote = null;
      cur += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      cur += ch;
    } else if (ch === ',') {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) parts.push(cur);
  const unquote = (s: string) => s.trim().replace(/^(['"])([\s\S]*)\1$/, '$2');
  const columns: string[] = [];
  const options: Record<string, string> = {};
  for (const p of parts) {
    const eq = p.indexOf('=');
    if (eq < 0) columns.push(unquote(p));
    else options[unquote(p.slice(0, eq)).toLowerCase()] = unquote(p.slice(eq + 1));
  }
  return { module: m[1]!.toLowerCase(), columns, options };
}

const TRIGGERS = ['messages_fts_insert', 'messages_fts_delete', 'messages_fts_update'];

/** See {@link FtsState}. */
export function ftsState(s: SchemaInspection): FtsState {
  const sql = s.virtualTables.get('messages_fts');
  if (sql === undefined) return { kind: 'rebuild', reason: 'no full-text search table (omega-bot creates messages_fts)' };
  const args = fts5Args(sql);
  if (!args || args.module !== 'fts5') return { kind: 'foreign', reason: `virtual table messages_fts is not omega-bot's (not an FTS5 table)` };
  if (args.options.content !== 'messages') {
    return { kind: 'foreign', reason: `virtual table messages_fts is not omega-bot's (content=${args.options.content ?? 'its own'}, omega-bot's is content='messages'; it may hold data of its own)` };
  }
  const ours = fts5Args(SQLITE_FTS[0]!)!;
  if (args.columns.join(',') !== SEARCH_COLUMNS.join(',')) return { kind: 'rebuild', reason: `messages_fts indexes (${args.columns.join(', ')}), not (${SEARCH_COLUMNS.join(', ')})` };
  const tokenize = args.options.tokenize ?? 'unicode61 (default: diacritics removed)';
  if (normalizeSql(sql) !== normalizeSql(SQLITE_FTS[0]!)) {
    return { kind: 'rebuild', reason: `tokenizer ${tokenize} → ${ours.options.tokenize}; omega-bot's delete/update triggers leave stale entries` };
  }
  const wrong = TRIGGERS.filter((t, i) => s.triggers.get(t) === undefined || normalizeSql(s.triggers.get(t)!.sql) !== normalizeSql(SQLITE_FTS[i + 1]!));
  if (wrong.length) return { kind: 'rebuild', reason: `triggers ${wrong.join(', ')} missing or not the FTS5 'delete' form (stale entries after a delete or update)` };
  return { kind: 'current' };
}
