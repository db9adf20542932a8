import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

/** Where Debian's `fortunes` and `fortunes-min` packages put their quote files. */
export const DEFAULT_CORPUS = '/usr/share/games/fortunes';
/** Entries longer than this (in characters) are left out: chat platforms cap messages near 2,000. */
export const MAX_ENTRY_CHARS = 2000;
/** Folders never read: Debian keeps offensive fortunes in `off/`. */
const SKIPPED_DIRS = new Set(['off']);
/** Files never read: `strfile` indexes, and `.u8` links that repeat a file under another name. */
const SKIPPED_SUFFIXES = ['.dat', '.u8', '.gz', '.pdat'];

/** Raised when the corpus path is missing or holds no entries. `code` is `CORPUS_MISSING`. */
export class CorpusError extends Error {
  override readonly name = 'CorpusError';
  readonly code = 'CORPUS_MISSING';
}

/** A loaded corpus: entries in file order, the files read and what was left out. */
export interface Corpus {
  readonly entries: string[];
  readonly files: string[];
  /** Entries left out for being empty or longer than {@link MAX_ENTRY_CHARS}. */
  readonly skippedEntries: number;
}

/** How to get the corpus, for error messages. */
export const INSTALL_HINT = 'install it with `sudo apt-get install -y fortunes-min fortunes` (Debian/Ubuntu), or pass --corpus <dir or file> with files of entries separated by lines holding only %';

/**
 * Splits one fortune file: entries are separated by lines holding only `%`. Overstrikes
 * (`x\bx`, used for bold in old fortune files) and other control characters except newline and
 * tab are removed; entries are trimmed; empty ones dropped.
 */
export function parseFortunes(text: string): string[] {
  return text
    .replace(/\r\n?/g, '\n')
    .split(/^%[ \t]*$/m)
    .map((e) =>
      e
        .replace(/[^\n]\x08/g, '')
        // eslint-disable-next-line no-control-regex
        .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '')
        .trim(),
    )
    .filter((e) => e.length > 0);
}

/** True when the first 4 KiB hold a NUL byte (a binary file, not quotes). */
function looksBinary(buf: Buffer): boolean {
  return buf.subarray(0, 4096).includes(0);
}

function collectFiles(path: string, seen: Set<string>, out: string[]): void {
  const real = realpathSync(path);
  if (seen.has(real)) return;
  seen.add(real);
  const st = statSync(real);
  if (st.isDirectory()) {
    for (const name of readdirSync(real).sort()) {
      const child = join(path, name);
      const cst = statSync(child, { throwIfNoEntry: false });
      if (!cst) continue;
      if (cst.isDirectory() ? SKIPPED_DIRS.has(name) : SKIPPED_SUFFIXES.some((s) => name.endsWith(s))) continue;
      collectFiles(child, seen, out);
    }
  } else if (st.isFile()) out.push(path);
}

/**
 * Reads a fortune file, or every fortune file under a folder (sorted by name; `.dat` indexes,
 * `.u8` duplicates, binary files and the offensive `off/` folder are skipped).
 * @throws CorpusError when the path does not exist or yields no entries (message says how to install it).
 */
export function loadCorpus(path: string = DEFAULT_CORPUS): Corpus {
  if (!statSync(path, { throwIfNoEntry: false })) throw new CorpusError(`no fortune corpus at ${path}: ${INSTALL_HINT}`);
  const files: string[] = [];
  collectFiles(path, new Set(), files);
  const entries: string[] = [];
  const read: string[] = [];
  let skippedEntries = 0;
  for (const f of files) {
    const buf = readFileSync(f);
    if (looksBinary(buf)) continue;
    read.push(f);
    for (const e of parseFortunes(new TextDecoder('utf-8').decode(buf))) {
      if (e.length > MAX_ENTRY_CHARS) skippedEntries++;
      else entries.push(e);
    }
  }
  if (entries.length === 0) throw new CorpusError(`no fortune entries in ${path} (${files.length} files, ${read.map((f) => basename(f)).slice(0, 5).join(', ') || 'none readable'}): ${INSTALL_HINT}`);
  return { entries, files: read, skippedEntries };
}
