import { createWriteStream, mkdirSync, readFileSync, renameSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { DriftEntry, RejectedEntry, VerifyResult } from './verify.js';

/** Default folder of the transfer tools' files (shared with export/import). */
export const DEFAULT_DATA_DIR = 'migration-data';

/** Name of the summary `status` reads, inside the data folder. */
export const LAST_VERIFY_FILE = 'last-verify.json';

/** What `last-verify.json` holds: the verify result without the id lists. */
export type VerifySummary = Omit<VerifyResult, 'tables'> & {
  tables: Array<Omit<VerifyResult['tables'][number], 'ids'>>;
};

/** The summary of a result, as written to `last-verify.json` and printed by `--json`. */
export function summarize(result: VerifyResult): VerifySummary {
  return { ...result, tables: result.tables.map(({ ids: _ids, ...rest }) => rest) };
}

/**
 * Appends every drift entry and every rejected entry (`kind: 'rejected'`, with the reason), one
 * JSON object a line, to `<dir>/verify/<timestamp>.ndjson`. The file is created on the first
 * entry only.
 */
export class DriftFile {
  readonly path: string;
  #out: WriteStream | null = null;
  #written = 0;

  constructor(dir: string, startedAt: Date) {
    this.path = join(dir, 'verify', `${startedAt.toISOString().replace(/[:.]/g, '-')}.ndjson`);
  }

  get written(): number {
    return this.#written;
  }

  write(entry: DriftEntry | RejectedEntry): void {
    if (!this.#out) {
      mkdirSync(join(this.path, '..'), { recursive: true });
      this.#out = createWriteStream(this.path, { flags: 'w' });
    }
    this.#written++;
    this.#out.write(`${JSON.stringify(entry)}\n`);
  }

  /** Flushes and closes; resolves with the path, or null when nothing was written. */
  async close(): Promise<string | null> {
    const out = this.#out;
    if (!out) return null;
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    return this.path;
  }
}

/** Writes `<dir>/last-verify.json` atomically (temp file + rename). */
export function writeLastVerify(dir: string, summary: VerifySummary): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LAST_VERIFY_FILE);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(summary, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
  return path;
}

/** The last verify summary in `dir`, or null when verify never ran there (or the file is unreadable). */
export function readLastVerify(dir: string): VerifySummary | null {
  try {
    return JSON.parse(readFileSync(join(dir, LAST_VERIFY_FILE), 'utf8')) as VerifySummary;
  } catch {
    return null;
  }
}
