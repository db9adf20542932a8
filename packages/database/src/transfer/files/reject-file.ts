import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AtomicFile } from './atomic-file.js';
import type { Reject } from '../convert/convert.js';
import { rawForJson } from '../source/sqlite-value.js';
import { stringifyJsonExact } from '../../json-exact.js';

/**
 * `rejects/<table>.ndjson`: one line per rejected row, `{ ...Reject, row }` where `row` is the
 * whole row as read (bigints as digit strings, blobs as `{ "$blob": hex }`), so it can be
 * repaired by hand and loaded again. Written atomically when the table is done; a table with
 * no rejects leaves no file (a stale one from an earlier run is removed).
 */
export class RejectFile {
  #file: AtomicFile | null = null;
  /** Rejects written so far. */
  count = 0;

  constructor(readonly path: string) {}

  /** Appends one reject with the row it concerns. */
  async add(reject: Reject, row: Readonly<Record<string, unknown>>): Promise<void> {
    if (!this.#file) {
      await mkdir(dirname(this.path), { recursive: true });
      this.#file = await AtomicFile.create(this.path);
    }
    const raw: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) raw[k] = rawForJson(v);
    await this.#file.write(`${stringifyJsonExact({ ...reject, row: raw })}\n`); // any depth, numbers exact
    this.count++;
  }

  /** Publishes the file (or removes a stale one when there were no rejects). */
  async finish(): Promise<void> {
    if (this.#file) await this.#file.commit();
    else await rm(this.path, { force: true });
    this.#file = null;
  }

  /** Drops what was written in this run. */
  async abort(): Promise<void> {
    await this.#file?.abort();
    this.#file = null;
  }
}
