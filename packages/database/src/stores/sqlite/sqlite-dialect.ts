import type { ColumnSpec } from '../../schema/columns.js';
import { sqliteJsonContains } from '../json-contains.js';
import type { Dialect, Fragment } from '../dialect.js';
import { stringifyJsonExact } from '../../json-exact.js';
import { readStoredJson } from './stored-json.js';
import { termForms } from '../../services/search-terms.js';
import { sqliteSearchPage } from './sqlite-search.js';
import { bytesOf, decodeStoredText, safeSelect, type ReadIssue } from './stored-text.js';

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** Stored TEXT (bytes from {@link safeSelect}, or a string) → string, with the read policy; changes go to `issues`. */
function storedText(col: ColumnSpec, v: unknown, issues: ReadIssue[] | undefined): string {
  if (typeof v === 'string') return v;
  const bytes = bytesOf(v);
  if (!bytes) return String(v);
  const d = decodeStoredText(bytes);
  for (const c of d.changes) {
    const what = c.reason === 'invalid_utf8' ? 'invalid UTF-8 sequence' : c.reason === 'nul' ? 'U+0000' : 'lone surrogate';
    issues?.push({ column: col.name, reason: c.reason, detail: `${plural(c.count, what)} ${c.reason === 'nul' ? 'stripped' : '→ U+FFFD'}` });
  }
  return d.text;
}

/**
 * The FTS5 MATCH expression of `terms`, all required. Each term is a quoted FTS5 string, so `"`,
 * `-`, NOT, col:x are plain text (FTS5 docs §3.1); a term with a decomposed form matches either
 * form (search-terms.ts termForms).
 */
export function ftsMatch(terms: readonly string[]): string {
  const quote = (t: string) => `"${t.replaceAll('"', '""')}"`;
  return terms
    .map((t) => {
      const forms = termForms(t);
      return forms.length === 1 ? quote(t) : `(${forms.map(quote).join(' OR ')})`;
    })
    .join(' AND '); // explicit: FTS5 has no implicit AND after a parenthesised group
}

/**
 * LibSQL/SQLite dialect. The client runs with `intMode: 'bigint'` (docs/design.md trap: the default
 * `number` mode throws above 2^53), so integers arrive as `bigint` and are narrowed here. JSON
 * text is parsed and written with exact integers (json-exact.ts). Every column is read through
 * {@link safeSelect} (TEXT as bytes, decoded with the read policy of stored-text.ts), so no stored
 * bytes can crash the driver; JSON that does not parse follows stored-json.ts (null, reported).
 */
export const sqliteDialect: Dialect = {
  name: 'sqlite',
  placeholders: (sql) => sql,
  cast: () => '',
  encode(col: ColumnSpec, v: unknown): unknown {
    if (v === undefined || v === null) return null;
    switch (col.type) {
      case 'bool':
        return v ? 1 : 0;
      case 'json':
        return stringifyJsonExact(v);
      case 'bigint':
        return BigInt(v as string);
      default:
        return v;
    }
  },
  selectColumn: (col, ref) => safeSelect(ref, col.name),
  decode(col: ColumnSpec, raw: unknown, issues?: ReadIssue[]): unknown {
    if (raw === null || raw === undefined) return null;
    // TEXT arrives as bytes (safeSelect); a BLOB too, decoded as SQLite's CAST(x AS TEXT) would.
    const v = typeof raw === 'bigint' || typeof raw === 'number' ? raw : storedText(col, raw, issues);
    switch (col.type) {
      case 'int':
      case 'timestamp':
      case 'millis':
        return Number(v);
      case 'bigint':
        return String(v);
      case 'bool':
        return Number(v) !== 0;
      case 'real':
        return Number(v);
      case 'json': {
        if (typeof v !== 'string') return v;
        const r = readStoredJson(v);
        if (r.ok) {
          if (r.bom) issues?.push({ column: col.name, reason: 'bom', detail: 'JSON after a leading BOM: read without it' });
          return r.value;
        }
        issues?.push({ column: col.name, reason: 'invalid_json', detail: `invalid JSON (${r.error}) → null` });
        return null;
      }
      default:
        return typeof v === 'string' ? v : String(v);
    }
  },
  searchFrom(terms: readonly string[]): Fragment {
    return { sql: `FROM messages_fts f JOIN messages m ON m.rowid = f.rowid WHERE messages_fts MATCH ?`, params: [ftsMatch(terms)] };
  },
  // The reference query above, planned per query (sqlite-search.ts): SQLite's own plan walks the filter's index with one FTS5 lookup per row.
  jsonContains: sqliteJsonContains,
  searchPage: (run, input) => sqliteSearchPage(run, { ...input, match: ftsMatch(input.terms) }),
};
