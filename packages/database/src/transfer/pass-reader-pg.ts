import type { TableName } from '../schema/tables.js';
import { PgConnection } from '../stores/pg/pg-connection.js';
import type { Side } from './backend-pair.js';
import { ChunkBuilder, PassFormatError, type PassChunk } from './pass-chunk.js';
import { passLayout, pgChunkSql } from './pass-sql.js';
import { ChunkSizer, noteChunkBytes, type PassReader } from './pass-sizer.js';

/** Collations whose order is the byte order of UTF-8 (the order the pass merges in). */
const BYTEWISE = new Set(['C', 'POSIX', 'C.UTF-8', 'C.utf8', 'ucs_basic']);

/** Whether `table.id` sorts bytewise on this PostgreSQL (column collation, else the database's). */
async function idSortsBytewise(sql: PgConnection['sql'], table: TableName): Promise<boolean> {
  const rows = await sql.unsafe(
    `SELECT coalesce(c.collname, d.datcollate) AS coll, c.collname IS NULL OR c.collname = 'default' AS dflt, d.datcollate AS db
       FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid LEFT JOIN pg_collation c ON c.oid = a.attcollation
       CROSS JOIN (SELECT datcollate FROM pg_database WHERE datname = current_database()) d
      WHERE t.oid = to_regclass($1) AND a.attname = 'id'`,
    [table],
  );
  const r = rows[0] as { coll: string; dflt: boolean; db: string } | undefined;
  if (!r) return false;
  return BYTEWISE.has(r.dflt ? r.db : r.coll);
}

/**
 * PostgreSQL's side of verify's pass: key-ordered chunks of pass rows (pass-sql.ts) built by
 * PostgreSQL itself and read as one raw buffer per chunk (postgres.js `.raw()`: no per-value
 * parsing in JS), the next chunk requested as soon as one arrives (at most two read ahead), so
 * PostgreSQL works without pause while the caller compares. Chunks are bounded by bytes (see pass-sizer.ts).
 * When the id collation sorts bytewise (C, C.UTF-8…), the order of every chunk is checked.
 * @throws PassFormatError when a chunk does not parse or comes out of key order.
 */
export async function openPgPassReader(side: Side, table: TableName, maxRows: number): Promise<PassReader> {
  if (!(side.conn instanceof PgConnection)) throw new Error('verify needs a PostgreSQL side opened by openPostgresSide');
  const sql = side.conn.sql;
  const layout = passLayout(table);
  const bytewise = await idSortsBytewise(sql, table);
  const [first, after] = [false, true].map((a) => side.dialect.placeholders(pgChunkSql(layout, a, !bytewise))) as [string, string];
  const sizer = new ChunkSizer(layout, maxRows);
  let done = false;
  const fetch = (bound: string | null): Promise<PassChunk> => {
    const limit = sizer.rows();
    const q = (bound === null ? sql.unsafe(first, [limit]) : sql.unsafe(after, [bound, limit])).raw().execute();
    return q.then((rows) => {
      const [b, n] = (rows[0] ?? []) as unknown as [Buffer | null, Buffer];
      const count = Number(n.toString('latin1'));
      const c = new ChunkBuilder(layout, count);
      if (b) {
        c.addBuffer(b);
        c.walk(0, 0, b.length, 'postgres');
      }
      if (c.n !== count) throw new PassFormatError(`PostgreSQL chunk of ${table}: ${count} rows announced, ${c.n} parsed`);
      if (bytewise) checkOrder(c, table);
      sizer.observe(count, b?.length ?? 0);
      noteChunkBytes(b?.length ?? 0);
      if (count < limit) done = true;
      return c.build(null);
    });
  };
  // Chunks read and not yet taken (at most two: one waiting, one being read), so PostgreSQL starts
  // the next chunk as soon as one arrives, not when this thread gets to it.
  const queue: Array<Promise<PassChunk | null>> = [];
  const readFrom = (bound: string | null): Promise<PassChunk | null> => {
    const p = fetch(bound).then((chunk) => {
      if (!done && chunk.n > 0 && queue.length < 2 && !closed) {
        const last = chunk.n - 1;
        queue.push(readFrom(chunk.bufs[chunk.buf[last]!]!.toString('utf8', chunk.idStart[last], chunk.idEnd[last])));
      }
      return chunk.n > 0 ? chunk : null;
    });
    p.catch(() => {});
    return p;
  };
  let closed = false;
  queue.push(readFrom(null));
  return {
    async next() {
      const head = queue.shift();
      if (!head) return null;
      const chunk = await head;
      // The chunk taken had started the next read only if the queue had room then: start it now.
      if (chunk && queue.length === 0 && !done) {
        const last = chunk.n - 1;
        queue.push(readFrom(chunk.bufs[chunk.buf[last]!]!.toString('utf8', chunk.idStart[last], chunk.idEnd[last])));
      }
      return chunk;
    },
    async close() {
      closed = true;
      await Promise.all(queue.map((p) => p.catch(() => null)));
      queue.length = 0;
    },
  };
}

/** Throws unless the ids of the chunk ascend strictly in byte order. */
function checkOrder(c: ChunkBuilder, table: TableName): void {
  const b = c.bufs[0];
  if (!b) return;
  for (let i = 1; i < c.n; i++) {
    if (b.compare(b, c.idStart[i - 1], c.idEnd[i - 1], c.idStart[i], c.idEnd[i]) <= 0) {
      throw new PassFormatError(`PostgreSQL returned ${table} out of key order at row ${i} of a chunk`);
    }
  }
}
