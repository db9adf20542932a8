import { redact, type Database, type PhaseFlags } from '@repo/database';

/** The body of `GET /status`. Nothing secret: no connection strings, error messages redacted. */
export interface BotStatus {
  readonly phase: Database['routing']['phase'];
  readonly flags: PhaseFlags;
  readonly routing: Database['routing'];
  /** `db.health()`: per backend `{ ok, latencyMs, error }`, null when the phase does not use it. */
  readonly backends: Awaited<ReturnType<Database['health']>>;
  /** `db.stats()`: primary/read latency (ms), phase-5 read fallbacks, shadow counters (enqueued, succeeded, failed, dropped, inFlight, queued, latencyMs, failureRate). */
  readonly stats: ReturnType<Database['stats']>;
}

/** The flags a routing implies, for callers that did not keep the config (phase 6 cannot tell READ; reported false). */
export function flagsOf(routing: Database['routing']): PhaseFlags {
  return { usePostgresPrimary: routing.primary === 'postgres', usePostgresRead: routing.primary === 'sqlite' && routing.reads === 'postgres', usePostgresShadow: routing.shadow !== null };
}

/** Builds `/status` (pings each backend, at most 2 s each). */
export async function statusOf(db: Database, flags: PhaseFlags = flagsOf(db.routing)): Promise<BotStatus> {
  const status: BotStatus = { phase: db.routing.phase, flags, routing: db.routing, backends: await db.health(), stats: db.stats() };
  // Backend error texts (health, shadow lastError) could quote a connection string.
  return JSON.parse(redact(JSON.stringify(status))) as BotStatus;
}
