import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Bytes buffered before a write. Text is encoded into the buffer as it comes, so no string
 * outlives its `write` (a megabyte of pending strings would be promoted to V8's old generation
 * on every flush: export's peak memory then grew with the table).
 */
const CHUNK_BYTES = 256 << 10;

/**
 * A file that appears complete or not at all: text is written to `<path>.tmp` (buffered,
 * each flush awaited, so memory stays bounded), then `commit()` fsyncs it, renames it over
 * `path` and fsyncs the folder. A crash before `commit()` leaves only the `.tmp` file.
 */
export class AtomicFile {
  #fh: FileHandle | null;
  #buf: Buffer | null = null;
  #at = 0;
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
    // A UTF-16 code unit takes at most 3 bytes of UTF-8.
    if (this.#buf === null || this.#buf.length - this.#at < text.length * 3) {
      await this.#flush();
      if (text.length * 3 > CHUNK_BYTES) {
        this.#queue(Buffer.from(text, 'utf8'));
        return this.#tail;
      }
      this.#buf = Buffer.allocUnsafe(CHUNK_BYTES);
    }
    this.#at += this.#buf.write(text, this.#at, 'utf8');
  }

  #queue(buf: Buffer): void {
    const fh = this.#fh!;
    this.bytes += buf.length;
    this.#tail = this.#tail.then(async () => {
      await fh.write(buf);
    });
  }

  #flush(): Promise<void> {
    if (this.#buf !== null && this.#at > 0) this.#queue(this.#buf.subarray(0, this.#at));
    this.#buf = null;
    this.#at = 0;
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
