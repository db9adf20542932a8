import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

const FLUSH_AT = 1 << 20; // bytes buffered before a write

/**
 * A file that appears complete or not at all: text is written to `<path>.tmp` (buffered,
 * each flush awaited, so memory stays bounded), then `commit()` fsyncs it, renames it over
 * `path` and fsyncs the folder. A crash before `commit()` leaves only the `.tmp` file.
 */
export class AtomicFile {
  #fh: FileHandle | null;
  #parts: string[] = [];
  #pending = 0;
  /** Writes to the handle run one after another (FileHandle.write must not overlap). */
  #tail: Promise<void> = Promise.resolve();
  /** Bytes written so far (UTF-8). */
  bytes = 0;

  private constructor(
    readonly path: string,
    fh: FileHandle,
  ) {
    this.#fh = fh;
  }

  /** Creates (or truncates) `<path>.tmp`. */
  static async create(path: string): Promise<AtomicFile> {
    return new AtomicFile(path, await open(`${path}.tmp`, 'w'));
  }

  /** Appends text; resolves once it is buffered or flushed (backpressure). */
  async write(text: string): Promise<void> {
    this.#parts.push(text);
    this.#pending += text.length;
    if (this.#pending >= FLUSH_AT) await this.#flush();
  }

  #flush(): Promise<void> {
    if (this.#parts.length > 0) {
      const buf = Buffer.from(this.#parts.join(''), 'utf8');
      const fh = this.#fh!;
      this.#parts = [];
      this.#pending = 0;
      this.bytes += buf.length;
      this.#tail = this.#tail.then(async () => {
        await fh.write(buf);
      });
    }
    return this.#tail;
  }

  /** Flushes, fsyncs, renames `<path>.tmp` → `path`, fsyncs the folder. */
  async commit(): Promise<void> {
    await this.#flush();
    const fh = this.#fh!;
    this.#fh = null;
    await fh.sync();
    await fh.close();
    await rename(`${this.path}.tmp`, this.path);
    await fsyncDir(dirname(this.path));
  }

  /** Closes and deletes `<path>.tmp`; `path` is left as it was. Idempotent. */
  async abort(): Promise<void> {
    const fh = this.#fh;
    this.#fh = null;
    await this.#tail.catch(() => {});
    if (fh) await fh.close().catch(() => {});
    await rm(`${this.path}.tmp`, { force: true });
  }
}

/** fsyncs a folder so a rename in it survives a power cut (a no-op where folders cannot be opened). */
export async function fsyncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  }
}

/** Writes a whole small file atomically (metadata.json). */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const f = await AtomicFile.create(path);
  try {
    await f.write(text);
    await f.commit();
  } catch (e) {
    await f.abort();
    throw e;
  }
}
