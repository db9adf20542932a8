/** Where a command writes: stdout for results, stderr for errors and progress. Tests pass their own. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** True when stderr is a terminal (progress lines allowed). */
  readonly interactive: boolean;
}

/** The process's own stdout/stderr. */
export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  interactive: Boolean(process.stderr.isTTY),
};
