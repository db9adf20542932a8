import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/**
 * Streams the lines of a UTF-8 text file (without their `\n`, nor a `\r` before it) in batches:
 * the complete lines of each 256 KiB read, so memory does not grow with the file, and a batch costs
 * one await instead of one per line. An empty final line (a trailing `\n`) is not yielded.
 */
export async function* readLineBatches(path: string): AsyncGenerator<string[]> {
  const input = createReadStream(path, { highWaterMark: 256 << 10 });
  const decoder = new StringDecoder('utf8');
  let rest = '';
  const cut = (line: string) => (line.endsWith('\r') ? line.slice(0, -1) : line);
  try {
    for await (const buf of input as AsyncIterable<Buffer>) {
      const text = rest + decoder.write(buf);
      const lines: string[] = [];
      let start = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        lines.push(cut(text.slice(start, nl)));
        start = nl + 1;
      }
      rest = text.slice(start);
      if (lines.length > 0) yield lines;
    }
    rest += decoder.end();
    if (rest.length > 0) yield [cut(rest)];
  } finally {
    input.destroy();
  }
}
