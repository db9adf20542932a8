import type Libsql from 'libsql';
import type { TableName } from '../../schema/tables.js';
import { q } from '../../stores/table-sql.js';
import type { Side } from '../source/backend-pair.js';
import { bytesBefore, ChunkBuilder, PassFormatError, type PassChunk } from './pass-chunk.js';
import { convertPassRow } from './pass-convert.js';
import { hasTextAffinity, passLayout, sqliteChunkSql, type PassLayout, type SqliteBound } from './pass-sql.js';
import { ChunkSizer, noteChunkBytes, type PassReader } from './pass-sizer.js';
import { decodeLossless, losslessSelect, sqliteFilePath } from '../source/source.js';
import { InvalidUtf8, SqliteBlob, type SqliteValue } from '../source/sqlite-value.js';
import { openLibsqlFile } from '../../stores/sqlite/libsql-client.js';

/** Runs SQL on LibSQL and returns rows as arrays (columns in select order). */
interface Runner {
  all(sql: string, params: unknown[]): Promise<unknown[][]>;
  /** Runs `fn` in one read transaction where the runner can (a local file). */
  snapshot<T>(fn: () => Promise<T>): Promise<T>;
  close(): void;
}

/** A local file through the `libsql` binding (raw rows; integers exact as bigint); else the side's client. */
function runner(side: Side): Runner {
  const path = sqliteFilePath(side.url);
  if (path) {
    const db = openLibsqlFile(path);
    const stmts = new Map<string, Libsql.Statement>();
    const prepared = (sql: string) => {
      let s = stmts.get(sql);
      if (!s) stmts.set(sql, (s = db.prepare(sql).raw(true).safeIntegers(true)));
      return s;
    };
    return {
      all: async (sql, params) => prepared(sql).all(...params) as unknown[][],
      async snapshot(fn) {
        db.exec('BEGIN');
        try {
          return await fn();
        } finally {
          db.exec('COMMIT');
        }
      },
      close: () => db.close(),
    };
  }
  return {
    all: async (sql, params) => (await side.query(sql, params)).map((r) => Object.values(r)),
    snapshot: (fn) => fn(),
    close: () => {},
  };
}

const bytesOf = (v: unknown): Buffer => (v instanceof ArrayBuffer ? Buffer.from(v) : Buffer.from((v as Uint8Array).buffer, (v as Uint8Array).byteOffset, (v as Uint8Array).byteLength));

/** Where the next chunk starts: after the last row's stored id. */
type Bound = { kind: SqliteBound; value?: unknown };

function boundOf(v: SqliteValue): Bound {
  if (v === null) return { kind: 'null' };
  if (typeof v === 'string') return { kind: 'text', value: Buffer.from(v, 'utf8') };
  if (v instanceof InvalidUtf8) return { kind: 'text', value: Buffer.from(v.bytes) };
  if (v instanceof SqliteBlob) return { kind: 'value', value: Buffer.from(v.bytes) };
  return { kind: 'value', value: v };
}

/** Reads the rows sent as `X<rowid>;` losslessly and converts them (pass-convert.ts); returns their stored ids by row (dropped rows absent). */
async function convertSlow(run: Runner, layout: PassLayout, c: ChunkBuilder): Promise<Map<number, SqliteValue>> {
  const ids = new Map<number, SqliteValue>();
  if (c.slow.size === 0) return ids;
  const cols = [...layout.plain, ...layout.json, ...layout.real];
  const sql = `SELECT m.rowid AS r, ${cols.map((x, j) => `${losslessSelect(x.name, 'm.')} AS c${j}`).join(', ')} FROM ${q(layout.table)} m WHERE m.rowid IN (SELECT value FROM json_each(?))`;
  const byRowid = new Map<string, Map<string, SqliteValue>>();
  const rowids = [...c.slow.values()];
  for (let k = 0; k < rowids.length; k += 500) {
    for (const r of await run.all(sql, [`[${rowids.slice(k, k + 500).join(',')}]`])) {
      const values = new Map<string, SqliteValue>();
      cols.forEach((x, j) => values.set(x.name, decodeLossless(r[j + 1])));
      byRowid.set(String(r[0]), values);
    }
  }
  for (const [i, rowid] of c.slow) {
    const values = byRowid.get(rowid);
    if (!values) {
      c.drop(i); // deleted meanwhile (no snapshot on a remote database): as if read after the delete
      continue;
    }
    const r = convertPassRow(layout, values);
    c.setConverted(i, r.ok ? r.bytes : null, r.idBytes, r.ok ? r.idStart : 0);
    if (!r.ok && r.unusable) c.unusable.set(i, r.unusable);
    if (!r.ok && r.printableId !== null) c.printableIds.set(i, r.printableId);
    ids.set(i, values.get('id') ?? null);
  }
  c.finishConverted();
  return ids;
}

/**
 * LibSQL's side of verify's pass: key-ordered chunks of pass rows (pass-sql.ts) built by SQLite
 * and read as one BLOB per chunk (tables with real columns: one row per pass row, the reals as
 * values), so the driver neither decodes each value nor sees text that is not UTF-8 (which would
 * abort the process). Rows not in canonical storage are read again losslessly and converted in JS
 * (pass-convert.ts). Chunks are bounded by bytes (pass-sizer.ts); each chunk is read in one
 * read transaction on a local file.
 * @throws PassFormatError when a chunk does not parse or comes out of key order.
 */
export function openSqlitePassReader(side: Side, table: TableName, maxRows: number): PassReader {
  const layout = passLayout(table);
  const run = runner(side);
  const sizer = new ChunkSizer(layout, maxRows);
  const perRow = layout.real.length > 0;
  const nr = layout.real.length;
  let bound: Bound | null = { kind: 'first' };
  /** Columns of TEXT affinity in this file (their canonical-storage test is shorter: pass-sql.ts), read once. */
  let textAffinity: Promise<Set<string>> | null = null;
  const affinity = () =>
    (textAffinity ??= run.all('SELECT name, type FROM pragma_table_info(?)', [table]).then((rows) => new Set(rows.filter((r) => hasTextAffinity(String(r[1] ?? ''))).map((r) => String(r[0])))));

  const read = async (): Promise<PassChunk | null> => {
    if (!bound) return null;
    const limit = sizer.rows();
    const params = bound.kind === 'text' || bound.kind === 'value' ? [bound.value, limit] : [limit];
    const sql = sqliteChunkSql(layout, bound.kind, await affinity());
    return run.snapshot(async () => {
      const rows = await run.all(sql, params);
      let c: ChunkBuilder;
      let reals: Float64Array | null = null;
      let count: number;
      let bytes: number;
      if (perRow) {
        count = rows.length;
        const b = Buffer.concat(rows.map((r) => bytesOf(r[0])));
        bytes = b.length;
        c = new ChunkBuilder(layout, count);
        c.addBuffer(b);
        c.walk(0, 0, b.length, 'sqlite');
        reals = new Float64Array(count * nr);
        for (let i = 0; i < count; i++) {
          const r = rows[i]!;
          for (let k = 0; k < nr; k++) {
            const v = r[k + 2];
            // A real, an integer (bigint: import takes Number(v)) or NULL; anything else is converted in JS.
            if (v === null || v === undefined) reals[i * nr + k] = NaN;
            else if (typeof v === 'number' || typeof v === 'bigint') reals[i * nr + k] = Number(v);
            else c.markSlow(i, String(r[1]));
          }
        }
      } else {
        const [b, n] = (rows[0] ?? [null, 0]) as [unknown, unknown];
        count = Number(n);
        c = new ChunkBuilder(layout, count);
        const buf = b === null || b === undefined ? null : bytesOf(b);
        bytes = buf?.length ?? 0;
        if (buf) {
          c.addBuffer(buf);
          c.walk(0, 0, buf.length, 'sqlite');
        }
      }
      if (c.n !== count) throw new PassFormatError(`LibSQL chunk of ${table}: ${count} rows announced, ${c.n} parsed`);
      checkOrder(c, table);
      sizer.observe(count, bytes);
      noteChunkBytes(bytes);
      const slowIds = await convertSlow(run, layout, c);
      // The next chunk starts after the last row still there (a remote database has no snapshot: a row may be gone).
      let last = c.n - 1;
      while (last >= 0 && c.kind[last] === 3) last--;
      if (count === limit && last < 0) throw new PassFormatError(`every row of a chunk of LibSQL ${table} was deleted while it was read: run verify again`);
      if (count < limit) bound = null;
      else if (slowIds.has(last)) bound = boundOf(slowIds.get(last)!);
      else bound = { kind: 'text', value: Buffer.from(c.bufs[c.buf[last]!]!.subarray(c.idStart[last], c.idEnd[last])) };
      return c.build(reals);
    });
  };
  return {
    async next() {
      for (;;) {
        const chunk = await read();
        if (!chunk) return null;
        if (chunk.n > 0) return chunk;
      }
    },
    async close() {
      bound = null;
      run.close();
    },
  };
}

/** Throws unless consecutive rows read as pass rows ascend strictly in byte order (SQLite's BINARY order of text). */
function checkOrder(c: ChunkBuilder, table: TableName): void {
  const b = c.bufs[0];
  if (!b) return;
  for (let i = 1; i < c.n; i++) {
    if (c.kind[i - 1] !== 0 || c.kind[i] !== 0) continue;
    if (!bytesBefore(b, c.idStart[i - 1]!, c.idEnd[i - 1]!, c.idStart[i]!, c.idEnd[i]!)) {
      throw new PassFormatError(`LibSQL returned ${table} out of key order at row ${i} of a chunk`);
    }
  }
}
