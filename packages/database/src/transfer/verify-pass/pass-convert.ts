import type { ColumnSpec } from '../../schema/columns.js';
import { coerce } from '../convert/coerce.js';
import { idProblem } from '../convert/convert.js';
import { pgJsonText, realHex } from './pass-json.js';
import { PG_JSON_END, type PassLayout } from './pass-sql.js';
import { InvalidUtf8, SqliteBlob, type SqliteValue } from '../source/sqlite-value.js';

/** A LibSQL row the pass converts in JS: PostgreSQL's pass row of what import writes, or why it needs the exact re-check. */
export type ConvertedPassRow =
  | { readonly ok: true; readonly bytes: Buffer; readonly idBytes: Buffer; readonly idStart: number }
  | { readonly ok: false; readonly idBytes: Buffer; readonly unusable: string | null; readonly printableId: string | null };

/** The bytes a stored id sorts by in LibSQL (text: its bytes; others: a stand-in, such rows never match), and a printable form. */
function idOf(v: SqliteValue): { bytes: Buffer; printable: string | null } {
  if (typeof v === 'string') return { bytes: Buffer.from(v, 'utf8'), printable: null };
  if (v instanceof InvalidUtf8) return { bytes: Buffer.from(v.bytes), printable: Buffer.from(v.bytes).toString('utf8') };
  if (v instanceof SqliteBlob) {
    const p = `x'${Buffer.from(v.bytes).toString('hex')}'`;
    return { bytes: Buffer.from(v.bytes), printable: p };
  }
  const p = v === null ? '' : String(v);
  return { bytes: Buffer.from(p), printable: p };
}

const PG_JSON_END_CHAR = String.fromCharCode(PG_JSON_END);

/** PostgreSQL's token of NULL by column type (pass-sql.ts). */
const NULL_TOKEN: Record<ColumnSpec['type'], string> = { id: ':', text: ':', int: ';', bigint: ';', timestamp: ';', millis: ';', bool: 'N', real: 'N', json: PG_JSON_END_CHAR };

/** One value's token in PostgreSQL's layout (pass-sql.ts), or null when coerce.ts rejects it. */
function token(c: ColumnSpec, v: SqliteValue): string | null {
  const nullToken = NULL_TOKEN[c.type];
  if (v === null) return nullToken;
  const r = coerce(c.type, v, false);
  if (!r.ok) return null;
  const x = r.value;
  if (x === null || x === undefined) return nullToken;
  switch (c.type) {
    case 'id':
    case 'text':
      return `${Buffer.byteLength(x as string)}:${x as string}`;
    case 'int':
    case 'bigint':
    case 'timestamp':
    case 'millis':
      return `${String(x)};`;
    case 'bool':
      return x ? '1' : '0';
    case 'real':
      return realHex(x as number);
    case 'json':
      return pgJsonText(x) + PG_JSON_END_CHAR;
  }
}

/**
 * Converts a LibSQL row (values as copy's source reader reads them: sqlite-value.ts) with THE
 * coercion of import/copy (coerce.ts) into PostgreSQL's pass row, so a row whose storage differs
 * from what import writes (milliseconds, text booleans, numeric text, ISO dates, U+0000 stripped…)
 * still matches in the pass. Rows coerce rejects, or whose id is unusable, need verify's exact
 * re-check (which reports them as rejected). Strings are converted after the text policy, as
 * import writes them, so they are well-formed and their UTF-8 bytes are exact.
 */
export function convertPassRow(layout: PassLayout, values: ReadonlyMap<string, SqliteValue>): ConvertedPassRow {
  const rawId = values.get('id') ?? null;
  const id = idOf(rawId);
  const wrong = idProblem(rawId);
  if (wrong !== null) return { ok: false, idBytes: id.bytes, unusable: wrong, printableId: id.printable };
  let out = '';
  let idStart = -1;
  for (const c of [...layout.plain, ...layout.json, ...layout.real]) {
    const t = token(c, values.get(c.name) ?? null);
    if (t === null) return { ok: false, idBytes: id.bytes, unusable: null, printableId: id.printable };
    if (c.name === 'id') idStart = Buffer.byteLength(out) + t.indexOf(':') + 1;
    out += t;
  }
  return { ok: true, bytes: Buffer.from(out, 'utf8'), idBytes: id.bytes, idStart };
}
