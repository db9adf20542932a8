import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GateKey, GateResult } from './gate.js';

/** Name of the last gate's summary inside the data folder (next to `last-verify.json`). */
export const LAST_GATE_FILE = 'last-gate.json';

/** What `last-gate.json` holds: when the gate ran, its verdict and one line per criterion (no verify details). */
export interface GateSummary {
  /** When the gate finished, ISO 8601. */
  readonly at: string;
  readonly ok: boolean;
  readonly failed: readonly GateKey[];
  readonly criteria: ReadonlyArray<{ key: GateKey; name: string; pass: boolean; value: string; threshold: string }>;
  /** Whole run, in ms. */
  readonly durationMs: number;
}

/** The summary of a gate result, finished at `at`. */
export function summarizeGate(r: GateResult, at = new Date()): GateSummary {
  return {
    at: at.toISOString(),
    ok: r.ok,
    failed: [...r.failed],
    criteria: r.criteria.map(({ key, name, pass, value, threshold }) => ({ key, name, pass, value, threshold })),
    durationMs: r.durationMs,
  };
}

/** Writes `<dir>/last-gate.json` atomically (temp file + rename); returns its path. */
export function writeLastGate(dir: string, summary: GateSummary): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LAST_GATE_FILE);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(summary, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
  return path;
}

/** The last gate summary in `dir`, or null when gate never ran there (or the file is unreadable). */
export function readLastGate(dir: string): GateSummary | null {
  try {
    return JSON.parse(readFileSync(join(dir, LAST_GATE_FILE), 'utf8')) as GateSummary;
  } catch {
    return null;
  }
}
