/**
 * Stable error codes. Tests, scripts and operators match on `code`, never on message text.
 *
 * | code                 | thrown by                                                     |
 * |----------------------|---------------------------------------------------------------|
 * | INVALID_FLAG         | config: a flag is not true/false/1/0/yes/no/on/off            |
 * | UNSAFE_PHASE         | config: USE_POSTGRES_READ without shadow and without primary  |
 * | INVALID_CONFIG       | config: another variable is malformed                         |
 * | DATABASE_URL_MISSING | config: a flag needs PostgreSQL and DATABASE_URL is unset     |
 * | DATABASE_UNREACHABLE | createDatabase / CLI: a backend did not answer                |
 * | VERSION_CONFLICT     | updates with a stale `expectedVersion` (optimistic locking)   |
 * | NOT_FOUND            | an update or delete of a row that does not exist (for the user) |
 * | FORBIDDEN            | a user acting on a document they do not own or share          |
 * | INVALID_INPUT        | a service argument that fails validation                      |
 * | SHADOW_WRITE_FAILED  | logged (never thrown) when a shadow write fails               |
 * | SHADOW_TIMEOUT       | logged (never thrown) when a shadow write passes its deadline |
 * | SHADOW_QUEUE_FULL    | logged (never thrown) when the shadow queue drops a write     |
 * | CLOSED               | a call after `close()`                                        |
 * | SCHEMA_MISSING       | transfer tools: a table is missing or a migration pending on a backend |
 * | MIGRATION_FAILED     | `db migrate`: a migration's SQL failed on a reachable backend |
 * | LEGACY_SCHEMA        | a LibSQL file in omega-bot's layout, not adopted (`db adopt`) |
 * | UNRECOGNISED_LAYOUT  | adopt/migrate: a LibSQL file that is not omega-bot's layout   |
 * | ADOPT_CHECKSUM_MISMATCH | adopt: rows or values changed; rolled back                 |
 * | BACKUP_EXISTS        | adopt: the backup file is there already                       |
 * | ADOPT_VALUE_REFUSED  | adopt --target postgres: a value cannot convert to the product's type (table, id, reason); nothing changed |
 * | DATABASE_TIMEOUT     | PostgreSQL did not answer a call within its client-side deadline (pool recycled) |
 * | SHADOW_ABANDONED     | logged (never thrown): a shadow write left when the drain deadline passed |
 */
export type ErrorCode =
  | 'INVALID_FLAG'
  | 'UNSAFE_PHASE'
  | 'INVALID_CONFIG'
  | 'DATABASE_URL_MISSING'
  | 'DATABASE_UNREACHABLE'
  | 'VERSION_CONFLICT'
  | 'NOT_FOUND'
  | 'FORBIDDEN'
  | 'INVALID_INPUT'
  | 'SHADOW_WRITE_FAILED'
  | 'SHADOW_TIMEOUT'
  | 'SHADOW_QUEUE_FULL'
  | 'CLOSED'
  | 'VERIFY_DRIFT'
  | 'IMPORT_REJECTED_ROWS'
  | 'EXPORT_INVALID'
  | 'SCHEMA_MISSING'
  | 'MIGRATION_FAILED'
  | 'LEGACY_SCHEMA'
  | 'UNRECOGNISED_LAYOUT'
  | 'ADOPT_CHECKSUM_MISMATCH'
  | 'BACKUP_EXISTS'
  | 'ADOPT_VALUE_REFUSED'
  | 'DATABASE_TIMEOUT'
  | 'SHADOW_ABANDONED';

/** The one error class of the package: a stable `code` plus context fields. */
export class DatabaseError extends Error {
  override readonly name = 'DatabaseError';
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }
}

/** True when `e` is a {@link DatabaseError}, optionally with the given code. */
export function isDatabaseError(e: unknown, code?: ErrorCode): e is DatabaseError {
  return e instanceof DatabaseError && (code === undefined || e.code === code);
}

/**
 * A backend error reduced to `{ code, message }` for logs: SQLSTATE for PostgreSQL
 * (`23505`…), `SQLITE_*` for LibSQL, `ECONNREFUSED`/`ECONNRESET`… for the network.
 */
export function describeError(e: unknown): { code: string; message: string } {
  if (e && typeof e === 'object') {
    const o = e as { code?: unknown; message?: unknown; errno?: unknown };
    const code = typeof o.code === 'string' ? o.code : typeof o.errno === 'string' ? o.errno : 'UNKNOWN';
    return { code, message: typeof o.message === 'string' ? o.message : String(e) };
  }
  return { code: 'UNKNOWN', message: String(e) };
}

/**
 * True for errors of the connection rather than of a statement: network codes (`ECONNREFUSED`,
 * `ECONNRESET`…), postgres.js `CONNECTION_*` / `CONNECT_TIMEOUT`, SQLSTATE class 08 and
 * 57P01–57P03 (server shutting down). Retrying row by row cannot help with these.
 */
export function isConnectionError(e: unknown): boolean {
  const code = describeError(e).code;
  return /^(E(CONN(REFUSED|RESET|ABORTED)|PIPE|TIMEDOUT|HOSTUNREACH|NETUNREACH|NOTFOUND|AI_AGAIN)|CONNECTION_\w+|CONNECT_TIMEOUT|DATABASE_TIMEOUT|08\w{3}|57P0[123])$/.test(code);
}
