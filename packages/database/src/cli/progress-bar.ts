import cliProgress from 'cli-progress';
import type { TransferProgress } from '../transfer/summary.js';
import type { CliContext } from './context.js';

/** A progress bar fed by transfer progress events. A no-op unless the context is interactive. */
export interface ProgressBar {
  readonly onProgress: (p: TransferProgress) => void;
  /** Ends the current bar (leaves its last line). Idempotent. */
  stop(): void;
}

const STAGE = { validate: 'checking', read: 'reading', load: 'loading' } as const;

/**
 * One cli-progress bar line per table and stage (on stderr), with rows/s and ETA. Drawn only when
 * stdout is a terminal and `--json` is off (`ctx.interactive`), so scripts and CI see no escapes.
 */
export function progressBar(ctx: CliContext): ProgressBar {
  if (!ctx.interactive) return { onProgress: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      format: '{stage} {table} [{bar}] {percentage}% | {value}/{total} rows | {rate} rows/s | ETA {eta_formatted}',
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let key: string | null = null;
  let started = 0;
  return {
    onProgress(p) {
      const k = `${p.stage}:${p.table}`;
      const total = p.total ?? Math.max(p.done, 1);
      if (k !== key) {
        if (key !== null) bar.stop();
        key = k;
        started = performance.now();
        bar.start(Math.max(total, 1), p.done, { stage: STAGE[p.stage].padEnd(8), table: p.table.padEnd(22), rate: 0 });
        return;
      }
      const s = (performance.now() - started) / 1000;
      bar.setTotal(Math.max(total, 1));
      bar.update(p.done, { rate: s > 0 ? Math.round(p.done / s) : 0 });
    },
    stop() {
      if (key !== null) bar.stop();
      key = null;
    },
  };
}
