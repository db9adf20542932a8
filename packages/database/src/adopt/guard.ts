/**
 * The check every command that touches LibSQL runs first: a file in omega-bot's layout (or the
 * product's without journal) that `adopt` has not taken over is refused in one line with the
 * stable code `LEGACY_SCHEMA`, before anything is written to it.
 */
import { DatabaseError } from '../errors.js';
import { redactUrl } from '../logger.js';
import { sqliteFilePath } from '../transfer/source/source.js';
import { detectLayout, LEGACY_KINDS, type DetectedLayout } from './detect.js';

/** The one-line message of a legacy file (what it is, and to run `pnpm db adopt`). */
export function legacyMessage(url: string, layout: DetectedLayout, before: string): string {
  return `LibSQL ${redactUrl(url)} holds ${layout.description}: run \`pnpm db adopt\` (prints the plan; --apply adopts it, with a backup) before ${before}`;
}

/** Options of {@link assertAdopted}. */
export interface AssertAdoptedOptions {
  /** Also refuse a file that is not omega-bot's layout nor the product's (`UNRECOGNISED_LAYOUT`). */
  readonly refuseUnrecognised?: boolean;
  /**
   * Check only a local `file:` URL (a remote database passes unread): for commands that do not
   * read LibSQL themselves (`import`) and must not fail when it is unreachable.
   */
  readonly localOnly?: boolean;
}

/**
 * Refuses a legacy file, and (with `refuseUnrecognised`) a file that is not omega-bot's layout at
 * all. A missing, empty, adopted or migrated file passes. Reads only the catalogue.
 * @throws DatabaseError `LEGACY_SCHEMA` / `UNRECOGNISED_LAYOUT`; what the client throws when the file cannot be read.
 */
export async function assertAdopted(url: string, authToken: string | undefined, before: string, opts: AssertAdoptedOptions = {}): Promise<DetectedLayout | null> {
  if (opts.localOnly && sqliteFilePath(url) === null) return null;
  const layout = await detectLayout(url, authToken);
  if (LEGACY_KINDS.has(layout.kind)) throw new DatabaseError('LEGACY_SCHEMA', legacyMessage(url, layout, before), { layout: layout.kind, omegaVersion: layout.omegaVersion });
  if (opts.refuseUnrecognised && layout.kind === 'unrecognised') {
    throw new DatabaseError('UNRECOGNISED_LAYOUT', `LibSQL ${redactUrl(url)} is not omega-bot's layout nor the product's: ${layout.mismatch}; nothing was written`, { mismatch: layout.mismatch });
  }
  return layout;
}
