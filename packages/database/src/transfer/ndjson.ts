import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/**
 * Streams the lines of a UTF-8 text file (without their `\n`), reading 1 MiB at a time, so
 * memory does not grow with the file. An empty final line (a trailing `\n`) is not yielded.
 */
export async function* readLines(path: string): AsyncGenerator<string> {
  const input = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
  const rl = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of rl) yield line;
  } finally {
    rl.close();
    input.destroy();
  }
}
