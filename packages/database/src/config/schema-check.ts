import { DatabaseError } from '../errors.js';
import { TOMBSTONES_TABLE, tableNames, tables } from '../schema/tables.js';

/** What {@link assertSchema} reads through: a connection's parameterised query. */
interface Queryable {
  query(sql: string, params: readonly unknown[]): Promise<unknown>;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Checks, without writing, that a backend holds the schema the services use: every table of the
 * specs with every column, and `row_tombstones`. Run at start-up when `DB_AUTO_MIGRATE=false`,
 * so an unmigrated (or half-migrated) backend refuses to start instead of starting healthy and
 * answering every message 500 (or failing every shadow write). One `SELECT … WHERE 1 = 0` per table
 * (identifiers from the specs only, no value interpolated).
 * @throws DatabaseError `SCHEMA_MISSING` naming the backend and the first table found missing or
 *   short of columns, with the command to run.
 */
export async function assertSchema(conn: Queryable, backend: 'LibSQL' | 'PostgreSQL', target: 'sqlite' | 'postgres'): Promise<void> {
  const missing: string[] = [];
  for (const t of [...tableNames, TOMBSTONES_TABLE]) {
    const columns = t === TOMBSTONES_TABLE ? ['table_name', 'id', 'version'] : tables[t as (typeof tableNames)[number]].columns.map((c) => c.name);
    try {
      await conn.query(`SELECT ${columns.map(quote).join(', ')} FROM ${quote(t)} WHERE 1 = 0`, []);
    } catch {
      missing.push(t);
    }
  }
  if (missing.length > 0) {
    throw new DatabaseError(
      'SCHEMA_MISSING',
      `${backend} lacks the schema (table or columns of ${missing.join(', ')}) and DB_AUTO_MIGRATE is false: run \`pnpm db migrate --target ${target}\` or unset DB_AUTO_MIGRATE`,
      { backend: target, missing, variable: 'DB_AUTO_MIGRATE' },
    );
  }
}
