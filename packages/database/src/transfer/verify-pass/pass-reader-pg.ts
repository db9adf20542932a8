import type { TableName } from '../../schema/tables.js';
import { PgConnection } from '../../stores/pg/pg-connection.js';
import type { Side } from '../source/backend-pair.js';
import type { BoundSource } from './pass-bounds-sqlite.js';
import { bytesBefore, ChunkBuilder, PassFormatError, type PassChunk } from './pass-chunk.js';
import { passLayout, pgBoundsSql, pgChunkSql } from './pass-sql.js';
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
 * The chunk and bounds queries as named prepared statements (postgres.js `prepare: true`; its
 * `unsafe()` does not prepare by default): a pass sends ~1,500 chunk queries per 1M messages, each
 * of ~70 expressions, and parsing and analysing each again cost PostgreSQL ~0.5 ms a query.
 */
const PREPARED = { prepare: true } as const;

/** Chunk queries in flight or read and not yet taken, at most (PostgreSQL builds them back to back). */
const AHEAD = 2;
/** Chunks per bounds query, at most (the first ones: 1, 2, 4…, so the byte bound adapts to the table first). */
const BOUNDS_BATCH = 16;

/**
 * PostgreSQL's side of verify's pass: key-ordered chunks of pass rows (pass-sql.ts) built by
 * PostgreSQL itself and read as one raw buffer per chunk (postgres.js `.raw()`: no per-value
 * parsing in JS). The chunks' last ids are read ahead from the id index (`pgBoundsSql`), so each
 * chunk is a range `(previous bound, bound]` and up to {@link AHEAD} chunk queries are sent
 * without waiting for the previous one: PostgreSQL works without pause while the caller compares,
 * even while this thread is too busy to look at the socket. The last range is open-ended, so rows
 * written meanwhile are read as in a keyset pass. Chunks are bounded by bytes (see pass-sizer.ts):
 * the rows per chunk of each bounds query follow the bytes per row seen so far.
 * When the id collation sorts bytewise (C, C.UTF-8…), the order of every chunk is checked.
 * `boundsFrom`: where the range bounds come from instead of PostgreSQL's id index (verify passes
 * LibSQL's: pass-bounds-sqlite.ts, which spares PostgreSQL a second walk of the table); used only
 * when the id collation sorts bytewise, as the source's ids do.
 * @throws PassFormatError when a chunk does not parse or comes out of key order.
 */
export async function openPgPassReader(side: Side, table: TableName, maxRows: number, boundsFrom: BoundSource | null = null): Promise<PassReader> {
  if (!(side.conn instanceof PgConnection)) throw new Error('verify needs a PostgreSQL side opened by openPostgresSide');
  const sql = side.conn.sql;
  const layout = passLayout(table);
  const bytewise = await idSortsBytewise(sql, table);
  const ph = (s: string) => side.dialect.placeholders(s);
  const chunkSql = {
    upTo: ph(pgChunkSql(layout, false, !bytewise, true)),
    between: ph(pgChunkSql(layout, true, !bytewise, true)),
    first: ph(pgChunkSql(layout, false, !bytewise)),
    after: ph(pgChunkSql(layout, true, !bytewise)),
  };
  const boundsSql = { first: ph(pgBoundsSql(table, false)), after: ph(pgBoundsSql(table, true)) };
  const sizer = new ChunkSizer(layout, maxRows);

  /** A chunk asked for, in the order the caller takes them. */
  interface Entry {
    chunk: Promise<PassChunk>;
  }
  /** Ranges get this many times the rows per chunk as their limit (they hold about one chunk's rows). */
  const RANGE_SLACK = 2;

  /**
   * Asks for one chunk `(from, hi]` (from null: the start) of at most `limit` rows; when it is full
   * (rows written meanwhile), the rest of the range is asked for at once and placed right after
   * it. With hi null, the first `limit` rows after `from` (the last range: when it is full, the
   * pass goes on after it).
   */
  const request = (from: string | null, hi: string | null, limit: number): Entry => {
    const entry = {} as Entry;
    const q =
      hi === null
        ? from === null
          ? sql.unsafe(chunkSql.first, [limit], PREPARED)
          : sql.unsafe(chunkSql.after, [from, limit], PREPARED)
        : from === null
          ? sql.unsafe(chunkSql.upTo, [hi, limit], PREPARED)
          : sql.unsafe(chunkSql.between, [from, hi, limit], PREPARED);
    entry.chunk = q
      .raw()
      .execute()
      .then((rows) => {
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
        const chunk = c.build(null);
        if (count >= limit && !closed) {
          const last = chunk.bufs[chunk.buf[count - 1]!]!.toString('utf8', chunk.idStart[count - 1], chunk.idEnd[count - 1]);
          if (hi !== null) {
            // The range holds more rows than it did when its bounds were read: its rest comes next.
            queue.splice(queue.indexOf(entry) + 1, 0, request(last, hi, limit)); // indexOf -1: already taken, so first
          } else {
            // The last range was full: read on after its last row, as a keyset pass would.
            tail = lo = last;
            boundsDone = false;
            ended = false;
            batch = 1;
            fill();
          }
        }
        return chunk;
      });
    entry.chunk.catch(() => {});
    return entry;
  };

  /** Upper bounds of the chunks not yet asked for, in order; `tail` the last bound known. */
  const bounds: string[] = [];
  let tail: string | null = null;
  /** No bound after `tail`: the next range without a bound is the last, open-ended one. */
  let boundsDone = false;
  let batch = 1;
  let loading: Promise<void> | null = null;
  /** Lower bound of the next chunk to ask for (null: the start). */
  let lo: string | null = null;
  let ended = false;
  let closed = false;
  const queue: Entry[] = [];

  /** PostgreSQL's own bounds (`pgBoundsSql`). */
  const pgBounds: BoundSource = async (after, per, count) => {
    const rows = await (after === null ? sql.unsafe(boundsSql.first, [per, per, count], PREPARED) : sql.unsafe(boundsSql.after, [after, per, per, count], PREPARED)).raw().execute();
    return rows.map((r) => (r[0] as unknown as Buffer).toString('utf8'));
  };
  const boundSource = boundsFrom && bytewise ? boundsFrom : pgBounds;

  const loadBounds = async (): Promise<void> => {
    const per = sizer.rows();
    const ids = await boundSource(tail, per, batch);
    bounds.push(...ids);
    if (ids.length > 0) tail = ids[ids.length - 1]!;
    if (ids.length < batch) boundsDone = true;
    batch = Math.min(BOUNDS_BATCH, batch * 2);
  };

  /** Asks for chunks until {@link AHEAD} are in flight or waiting. */
  const fill = (): void => {
    while (!closed && !ended && queue.length < AHEAD) {
      if (bounds.length === 0) {
        if (!boundsDone) {
          loading ??= loadBounds().then(
            () => {
              loading = null;
              fill();
            },
            (e: unknown) => {
              loading = null;
              ended = true;
              const failed = Promise.reject(e);
              failed.catch(() => {});
              queue.push({ chunk: failed });
            },
          );
          return;
        }
        ended = true;
        queue.push(request(lo, null, sizer.rows()));
        return;
      }
      const hi = bounds.shift()!;
      queue.push(request(lo, hi, RANGE_SLACK * sizer.rows()));
      lo = hi;
    }
  };
  fill();
  return {
    async next() {
      for (;;) {
        const head = queue.shift();
        if (!head) {
          if (loading) {
            await loading;
            continue;
          }
          return null;
        }
        fill();
        const chunk = await head.chunk;
        if (chunk.n > 0) return chunk; // a range whose rows were all deleted meanwhile
      }
    },
    async close() {
      closed = true;
      await Promise.all([loading, ...queue.map((e) => e.chunk.catch(() => null))]);
      queue.length = 0;
    },
  };
}

/** Throws unless the ids of the chunk ascend strictly in byte order. */
function checkOrder(c: ChunkBuilder, table: TableName): void {
  const b = c.bufs[0];
  if (!b) return;
  for (let i = 1; i < c.n; i++) {
    if (!bytesBefore(b, c.idStart[i - 1]!, c.idEnd[i - 1]!, c.idStart[i]!, c.idEnd[i]!)) {
      throw new PassFormatError(`PostgreSQL returned ${table} out of key order at row ${i} of a chunk`);
    }
  }
}
