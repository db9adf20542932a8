/**
 * Detection of a LibSQL file's layout: empty, omega-bot's (newest or older), the product's
 * without drizzle's journal, already adopted or migrated, or something else (refused).
 */
import { existsSync } from 'node:fs';
import type { Client } from '@libsql/client';
import { createLibsqlClient } from '../stores/sqlite/libsql-client.js';
import { journal } from '../transfer/source/migration-status.js';
import { sqliteFilePath } from '../transfer/source/source.js';
import { compareLayout, type LayoutDifferences } from './compare.js';
import { inspectSchema, type SchemaInspection, type SchemaReader } from './inspect.js';
import { omegaVersionOf } from './omega-history.js';

/**
 * - `empty`: no table (or only an empty drizzle journal): nothing to adopt, `migrate` creates the layout;
 * - `omega-v3`: omega-bot's newest layout, not adopted;
 * - `omega-older`: an older omega-bot layout (tables or later columns missing, no FTS, FTS with other columns or tokenizer);
 * - `project-unstamped`: the product's layout (bookkeeping present) without drizzle's journal (`drizzle-kit push`);
 * - `adopted`: drizzle's journal holds every migration of this code: adopted or migrated, nothing to do;
 * - `unrecognised`: anything else; `mismatch` names what did not match.
 */
export type LayoutKind = 'empty' | 'omega-v3' | 'omega-older' | 'project-unstamped' | 'adopted' | 'unrecognised';

/** Kinds that `adopt` must take over before any other command writes to the file. */
export const LEGACY_KINDS: ReadonlySet<LayoutKind> = new Set(['omega-v3', 'omega-older', 'project-unstamped']);

/** Result of {@link detectLayout}. */
export interface DetectedLayout {
  readonly kind: LayoutKind;
  /** The omega-bot version whose layout the file matches exactly, when it is omega-bot's (null for a mix or not omega). */
  readonly omegaVersion: 'omega-v1' | 'omega-v2' | 'omega-v3' | null;
  /** One line saying what the file is (for `unrecognised`, the mismatch). */
  readonly description: string;
  /** For `unrecognised`: what did not match, e.g. `table messages: column foo is not omega-bot's`. */
  readonly mismatch: string | null;
  /** What adopt adds (null for empty, adopted and unrecognised files). */
  readonly differences: LayoutDifferences | null;
  /** drizzle's journal: absent, present but empty (a failed `migrate` leaves that), complete, or holding unknown migrations. */
  readonly journal: 'absent' | 'empty' | 'complete' | 'unknown';
}

const result = (kind: LayoutKind, description: string, rest: Partial<DetectedLayout> = {}): DetectedLayout => ({
  kind,
  description,
  omegaVersion: null,
  mismatch: null,
  differences: null,
  journal: 'absent',
  ...rest,
});

/** Classifies an inspected layout (see {@link LayoutKind}). Never throws. */
export function classifyLayout(s: SchemaInspection): DetectedLayout {
  const entries = journal('sqlite');
  const rows = s.journalRows;
  const recorded = new Set((rows ?? []).map((r) => r.createdAt));
  const journalState: DetectedLayout['journal'] =
    rows === null ? 'absent' : rows.length === 0 ? 'empty' : entries.every((e) => recorded.has(e.createdAt)) ? 'complete' : 'unknown';
  const onlyJournal = [...s.tables.keys()].every((t) => t === '__drizzle_migrations') && s.virtualTables.size === 0 && s.triggers.size === 0 && s.views.length === 0;
  if (onlyJournal && (rows === null || rows.length === 0)) return result('empty', 'empty: no table yet (`pnpm db migrate` creates the layout)', { journal: journalState });
  if (journalState === 'complete') return result('adopted', 'adopted or migrated: drizzle\'s journal holds every migration (nothing to adopt)', { journal: journalState });
  if (journalState === 'unknown') {
    const mismatch = `__drizzle_migrations holds ${rows!.length} migration(s), not this code's (${entries.map((e) => e.tag).join(', ')})`;
    return result('unrecognised', mismatch, { mismatch, journal: journalState });
  }
  const c = compareLayout(s);
  if (!c.ok) return result('unrecognised', `not omega-bot's layout: ${c.mismatch}`, { mismatch: c.mismatch, journal: journalState });
  const d = c.differences;
  if (d.hasBookkeeping) {
    return result('project-unstamped', "the product's layout without drizzle's journal (as `drizzle-kit push` leaves it)", { differences: d, journal: journalState });
  }
  const omegaVersion = omegaVersionOf(d.presentColumns);
  const complete = d.missingTables.length === 0 && d.missingColumns.every((m) => m.column.added) && s.virtualTables.has('messages_fts');
  const what = omegaVersion ?? 'a mix of its versions';
  return complete
    ? result('omega-v3', "omega-bot's newest layout (omega-v3), not adopted", { omegaVersion: 'omega-v3', differences: d, journal: journalState })
    : result('omega-older', `an older omega-bot layout (${what}), not adopted`, { omegaVersion, differences: d, journal: journalState });
}

/** A {@link SchemaReader} over `@libsql/client` (local files and remote databases). */
function clientSchemaReader(client: Client): SchemaReader {
  return { all: async (sql, args = []) => (await client.execute({ sql, args: args as never })).rows as unknown as Record<string, unknown>[] };
}

/**
 * Detects the layout of the LibSQL database at `url`, changing nothing (a missing file is reported
 * as `empty`, never created).
 * @throws what the client throws when the database cannot be read (not a database, unreachable).
 */
export async function detectLayout(url: string, authToken?: string): Promise<DetectedLayout & { readonly exists: boolean }> {
  const path = sqliteFilePath(url);
  if (path !== null && !existsSync(path)) return { ...result('empty', `no file at ${path} (\`pnpm db migrate\` creates it)`), exists: false };
  const client = createLibsqlClient({ url, authToken });
  try {
    return { ...classifyLayout(await inspectSchema(clientSchemaReader(client))), exists: true };
  } finally {
    client.close();
  }
}
