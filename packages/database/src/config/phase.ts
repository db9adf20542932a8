import { DatabaseError } from '../errors.js';

/** The three routing flags (docs/design.md "Phases"). */
export interface PhaseFlags {
  readonly usePostgresPrimary: boolean;
  readonly usePostgresRead: boolean;
  readonly usePostgresShadow: boolean;
}

/** A phase of the migration. `6+` is PostgreSQL primary with LibSQL kept warm by shadow writes. */
export type Phase = '1' | '4' | '5' | '6' | '6+';

/** Where a phase sends writes, shadow writes and reads. */
export interface Routing {
  readonly phase: Phase;
  readonly description: string;
  readonly primary: 'sqlite' | 'postgres';
  readonly shadow: 'sqlite' | 'postgres' | null;
  readonly reads: 'sqlite' | 'postgres';
  /** True when any backend of this phase is PostgreSQL (DATABASE_URL required). */
  readonly needsPostgres: boolean;
}

/**
 * Derives the phase from the flags, as in the phase table of docs/design.md.
 * @throws DatabaseError `UNSAFE_PHASE` for USE_POSTGRES_READ without shadow and without primary:
 *   reads would come from a database that no longer receives writes.
 */
export function derivePhase(f: PhaseFlags): Routing {
  if (f.usePostgresPrimary) {
    return f.usePostgresShadow
      ? { phase: '6+', description: 'postgres primary, LibSQL kept warm by shadow writes', primary: 'postgres', shadow: 'sqlite', reads: 'postgres', needsPostgres: true }
      : { phase: '6', description: 'postgres primary', primary: 'postgres', shadow: null, reads: 'postgres', needsPostgres: true };
  }
  if (f.usePostgresRead) {
    if (!f.usePostgresShadow) {
      throw new DatabaseError(
        'UNSAFE_PHASE',
        'USE_POSTGRES_READ=true without USE_POSTGRES_SHADOW or USE_POSTGRES_PRIMARY would read from a PostgreSQL that receives no writes. ' +
          'Did you mean phase 5 (USE_POSTGRES_READ=true USE_POSTGRES_SHADOW=true) or phase 6 (USE_POSTGRES_PRIMARY=true)?',
        { variable: 'USE_POSTGRES_READ', flags: f },
      );
    }
    return { phase: '5', description: 'LibSQL primary, shadow to postgres, reads from postgres', primary: 'sqlite', shadow: 'postgres', reads: 'postgres', needsPostgres: true };
  }
  if (f.usePostgresShadow) {
    return { phase: '4', description: 'LibSQL primary, shadow writes to postgres', primary: 'sqlite', shadow: 'postgres', reads: 'sqlite', needsPostgres: true };
  }
  return { phase: '1', description: 'LibSQL only', primary: 'sqlite', shadow: null, reads: 'sqlite', needsPostgres: false };
}
