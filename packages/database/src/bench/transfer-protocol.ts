/** One transfer operation for a benchmark child process (see transfer-child.ts). */
export type ChildOp =
  | { readonly op: 'copy'; readonly libsqlUrl: string; readonly databaseUrl: string; readonly rejectsDir: string }
  | { readonly op: 'export'; readonly libsqlUrl: string; readonly dir: string }
  | { readonly op: 'import'; readonly dir: string; readonly databaseUrl: string; readonly rejectsDir: string }
  | { readonly op: 'verify'; readonly libsqlUrl: string; readonly databaseUrl: string };

/** What a child reports. */
export interface ChildResult {
  /** Seconds of the operation itself (process start-up and module loading excluded). */
  readonly innerSeconds: number;
  /** Rows the operation reports it moved or compared. */
  readonly rows: number;
  /** `process.resourceUsage().maxRSS` at the end, in MB (MiB). */
  readonly maxRssMb: number;
  /** User + system CPU seconds of the process (all threads), from `process.resourceUsage()`. */
  readonly cpuSeconds: number;
  /** Operation-specific figures (rejects, drift, …). */
  readonly detail: Record<string, unknown>;
}

/** Prefix of the child's one result line on stdout. */
export const RESULT_PREFIX = 'BENCH_RESULT ';
