import { createLogger, type Logger } from '../../src/logger.js';

/** One parsed pino line. */
export type LogLine = Record<string, unknown> & { level: number; msg?: string; event?: string };

/**
 * A real pino logger (the package's `createLogger`, redaction included) writing into memory.
 * `raw` keeps each line exactly as pino wrote it, for "never appears in the output" checks.
 */
export function captureLogs(level = 'debug'): { logger: Logger; lines: LogLine[]; raw: string[]; events: (name: string) => LogLine[] } {
  const lines: LogLine[] = [];
  const raw: string[] = [];
  const destination = {
    write(chunk: string) {
      for (const line of chunk.split('\n')) {
        if (!line) continue;
        raw.push(line);
        lines.push(JSON.parse(line) as LogLine);
      }
    },
  };
  const logger = createLogger({ destination, level });
  return { logger, lines, raw, events: (name) => lines.filter((l) => l.event === name) };
}
