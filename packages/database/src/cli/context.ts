import { loadConfig, type DatabaseConfig } from '../config/env.js';
import type { Routing } from '../config/phase.js';
import { DatabaseError, isDatabaseError } from '../errors.js';
import { redact } from '../logger.js';
import { ExitCode } from './exit-codes.js';

/** Global options every command gets. */
export interface GlobalOptions {
  /** Print one JSON document on stdout instead of text. */
  readonly json: boolean;
}

/** What a command runs with: the app's configuration (same env as the bot) and output helpers. */
export interface CliContext {
  readonly config: DatabaseConfig & { routing: Routing };
  readonly json: boolean;
  /** True when stdout is a terminal and not --json: progress bars allowed. */
  readonly interactive: boolean;
  /** Human output (suppressed with --json). Goes to stdout. */
  say(line: string): void;
  /** Warnings and notes: always to stderr. */
  warn(line: string): void;
  /** Prints the command's result as JSON when --json. */
  result(value: unknown): void;
}

/**
 * Builds the context from the environment (LIBSQL_URL, DATABASE_URL, USE_POSTGRES_*), as the app
 * reads it. Invalid flags stop every command but `status` (which reports them itself), because the
 * commands' safety warnings depend on the phase.
 * @throws DatabaseError from loadConfig (`INVALID_FLAG`, `UNSAFE_PHASE`, `INVALID_CONFIG`…).
 */
export function createContext(opts: GlobalOptions, env: Record<string, string | undefined> = process.env): CliContext {
  const config = loadConfig(env);
  return {
    config,
    json: opts.json,
    interactive: !opts.json && Boolean(process.stdout.isTTY),
    say: (line) => {
      if (!opts.json) process.stdout.write(`${line}\n`);
    },
    warn: (line) => process.stderr.write(`${line}\n`),
    result: (value) => {
      if (opts.json) process.stdout.write(`${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
    },
  };
}

/** Maps an error to its exit code and prints one clear, redacted line on stderr. */
export function reportError(e: unknown): ExitCode {
  if (isDatabaseError(e)) {
    process.stderr.write(`error ${e.code}: ${redact(e.message)}\n`);
    switch (e.code) {
      case 'INVALID_FLAG':
      case 'UNSAFE_PHASE':
      case 'INVALID_CONFIG':
      case 'DATABASE_URL_MISSING':
      case 'INVALID_INPUT':
        return ExitCode.USAGE;
      case 'DATABASE_UNREACHABLE':
        return ExitCode.UNREACHABLE;
      case 'VERIFY_DRIFT':
        return ExitCode.DRIFT;
      case 'IMPORT_REJECTED_ROWS':
      case 'ADOPT_VALUE_REFUSED':
        return ExitCode.REJECTED_ROWS;
      case 'EXPORT_INVALID':
        return ExitCode.INVALID_DATA;
      case 'UNRECOGNISED_LAYOUT':
        return ExitCode.UNRECOGNISED_LAYOUT;
      case 'LEGACY_SCHEMA':
        return ExitCode.LEGACY_SCHEMA;
      case 'SCHEMA_MISSING':
        return ExitCode.SCHEMA_MISSING;
      case 'BACKUP_EXISTS':
        return ExitCode.USAGE;
      default:
        return ExitCode.FAILURE;
    }
  }
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`error: ${redact(msg)}\n`);
  return ExitCode.FAILURE;
}

/** The connection options a command may take instead of the environment's (see {@link envWithUrls}). */
export interface UrlOptions {
  /** LibSQL URL instead of LIBSQL_URL (LIBSQL_AUTH_TOKEN, which belongs to LIBSQL_URL, is then not sent). */
  readonly libsqlUrl?: string | undefined;
  /** PostgreSQL URL instead of DATABASE_URL. */
  readonly databaseUrl?: string | undefined;
}

/**
 * The environment with a command's `--libsql-url` / `--database-url` in place of LIBSQL_URL /
 * DATABASE_URL, so the configuration (and the phase's checks) see the databases the command uses.
 */
export function envWithUrls(o: UrlOptions, env: Record<string, string | undefined> = process.env): Record<string, string | undefined> {
  const out = { ...env };
  if (o.libsqlUrl !== undefined) {
    out.LIBSQL_URL = o.libsqlUrl;
    delete out.LIBSQL_AUTH_TOKEN;
  }
  if (o.databaseUrl !== undefined) out.DATABASE_URL = o.databaseUrl;
  return out;
}

/** @throws DatabaseError `DATABASE_URL_MISSING` when the command needs PostgreSQL and DATABASE_URL is unset. */
export function requirePostgresUrl(ctx: CliContext): string {
  if (!ctx.config.databaseUrl) throw new DatabaseError('DATABASE_URL_MISSING', 'this command needs PostgreSQL: set DATABASE_URL', { variable: 'DATABASE_URL' });
  return ctx.config.databaseUrl;
}
