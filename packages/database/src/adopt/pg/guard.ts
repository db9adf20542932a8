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
 * @throws DatabaseError `LEGACY_SCHEMA` / `UNRECOGNISED_LAYOUT`; what postgres.js throws when unreachable.
 */
export async function assertPostgresAdopted(url: string, before: string, opts: { refuseUnrecognised?: boolean } = {}): Promise<PgDetectedLayout> {
  const layout = await detectPostgresLayout(url);
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
