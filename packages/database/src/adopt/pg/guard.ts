/**
 * The check `migrate --target postgres` (and every start-up that migrates PostgreSQL) runs first:
 * a database holding omega-bot's PostgreSQL tables (or the product's without journal) that
 * `adopt --target postgres` has not taken over is refused in one line with `LEGACY_SCHEMA`.
 */
import { DatabaseError } from '../../errors.js';
import { redactUrl } from '../../logger.js';
import { detectPostgresLayout, PG_LEGACY_KINDS, type PgDetectedLayout } from './detect.js';

/**
 * Refuses a legacy database and, with `refuseUnrecognised`, one whose product-named tables are
 * not omega-bot's layout. Empty, adopted and migrated databases pass. Reads only the catalogue.
 * @throws DatabaseError `LEGACY_SCHEMA` / `UNRECOGNISED_LAYOUT`; when unreachable, what postgres.js
 *   throws (or `DATABASE_UNREACHABLE` with `reportUnreachable`).
 */
export async function assertPostgresAdopted(url: string, before: string, opts: { refuseUnrecognised?: boolean; reportUnreachable?: boolean } = {}): Promise<PgDetectedLayout> {
  const layout = opts.reportUnreachable ? await detectPostgresLayoutOrUnreachable(url) : await detectPostgresLayout(url);
  if (PG_LEGACY_KINDS.has(layout.kind)) {
    throw new DatabaseError(
      'LEGACY_SCHEMA',
      `PostgreSQL ${redactUrl(url)} holds ${layout.description}: run \`pnpm db adopt --target postgres\` (prints the plan; --apply adopts it) before ${before}`,
      { layout: layout.kind },
    );
  }
  if (opts.refuseUnrecognised && layout.kind === 'unrecognised') {
    throw new DatabaseError('UNRECOGNISED_LAYOUT', `PostgreSQL ${redactUrl(url)} is not omega-bot's layout nor the product's: ${layout.mismatch}; nothing was written`, { mismatch: layout.mismatch });
  }
  return layout;
}

const UNREACHABLE = /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|CONNECT_TIMEOUT|CONNECTION_|3D000|28P01|28000/;

/**
 * {@link detectPostgresLayout}, with a server that does not answer (or a database that does not
 * exist) reported as `DATABASE_UNREACHABLE`.
 * @throws DatabaseError `DATABASE_UNREACHABLE`; what postgres.js throws otherwise.
 */
export async function detectPostgresLayoutOrUnreachable(url: string): Promise<PgDetectedLayout> {
  try {
    return await detectPostgresLayout(url);
  } catch (e) {
    const err = e as { code?: unknown; message?: unknown };
    const what = `${String(err.code ?? '')} ${String(err.message ?? '')}`;
    if (UNREACHABLE.test(what)) throw new DatabaseError('DATABASE_UNREACHABLE', `PostgreSQL ${redactUrl(url)} is unreachable: ${String(err.message ?? err.code)}`, { url: redactUrl(url) }, { cause: e });
    throw e;
  }
}
