import { DatabaseError } from '../errors.js';
import { redactUrl } from '../logger.js';
import { tableNames } from '../schema/tables.js';
import { existingTables, openSqliteSide } from '../transfer/source/backend-pair.js';

/**
 * The LibSQL source of `check`, `export` and `copy` must hold the six tables: a file that was
 * never migrated would otherwise profile, export or copy zero rows and exit 0. Read-only; a
 * missing file is not created.
 * @throws DatabaseError `SCHEMA_MISSING` (CLI exit 9) naming the tables; `DATABASE_UNREACHABLE` (exit 3).
 */
export async function requireSqliteTables(libsqlUrl: string, libsqlAuthToken?: string): Promise<void> {
  const side = await openSqliteSide({ libsqlUrl, libsqlAuthToken });
  try {
    const have = await existingTables(side);
    const missing = tableNames.filter((t) => !have.has(t));
    if (missing.length > 0) {
      throw new DatabaseError('SCHEMA_MISSING', `LibSQL ${redactUrl(libsqlUrl)} has no table ${missing.join(', ')}: run \`pnpm db migrate --target sqlite\` (or \`pnpm db adopt\` for omega-bot's file)`, {
        side: 'sqlite',
        missing,
      });
    }
  } finally {
    await side.store.close().catch(() => {});
  }
}
