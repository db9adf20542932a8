import { redact, type Database } from '@repo/database';

/** The body of `GET /readyz`. */
export interface Readiness {
  readonly ready: boolean;
  /** `PRIMARY_UNREACHABLE`, `SCHEMA_MISSING` or null when ready. */
  readonly code: 'PRIMARY_UNREACHABLE' | 'SCHEMA_MISSING' | null;
  /** Why, in words (credentials redacted); null when ready. */
  readonly reason: string | null;
  readonly phase: Database['routing']['phase'];
  readonly primary: Database['routing']['primary'];
  /** The primary's `SELECT 1` round trip, in ms (null when it did not answer). */
  readonly latencyMs: number | null;
  /** Tables of the primary missing or short of a column (empty when ready). */
  readonly missing: readonly string[];
}

/**
 * Ready means the bot can serve a message: its primary answers `SELECT 1` within 2 s and has every
 * table and column. The shadow backend does not count: shadow writes never fail a caller (the
 * circuit holds them), so a replica whose shadow is down still serves.
 */
export async function readinessOf(db: Database): Promise<Readiness> {
  const primary = db.routing.primary;
  const base = { phase: db.routing.phase, primary };
  const health = (await db.health())[primary];
  if (!health?.ok) {
    const label = primary === 'sqlite' ? 'LibSQL' : 'PostgreSQL';
    return { ...base, ready: false, code: 'PRIMARY_UNREACHABLE', reason: redact(`the primary (${label}) does not answer: ${health?.error ?? 'not open'}`), latencyMs: null, missing: [] };
  }
  const missing = await db.missingSchema();
  if (missing.length > 0) {
    return {
      ...base,
      ready: false,
      code: 'SCHEMA_MISSING',
      reason: `the primary lacks tables or columns of ${missing.join(', ')}: run \`pnpm db migrate --target ${primary}\``,
      latencyMs: health.latencyMs,
      missing,
    };
  }
  return { ...base, ready: true, code: null, reason: null, latencyMs: health.latencyMs, missing: [] };
}
