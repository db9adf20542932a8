import cliProgress from 'cli-progress';
import type { TransferProgress } from '../transfer/summary.js';
import type { CliContext } from './context.js';

/** A progress bar fed by transfer progress events. A no-op unless the context is interactive. */
export interface ProgressBar {
  readonly onProgress: (p: TransferProgress) => void;
  /** Ends the bars (leaves their last lines). Idempotent. */
  stop(): void;
}

const STAGE = { validate: 'checking', read: 'reading', load: 'loading' } as const;

/**
 * One cli-progress bar line per table and stage (on stderr), with rows/s and ETA; tables that
 * load at the same time (table-lanes.ts) each keep their own line. Drawn only when stdout is a
 * terminal and `--json` is off (`ctx.interactive`), so scripts and CI see no escapes.
 */
export function progressBar(ctx: CliContext): ProgressBar {
  if (!ctx.interactive) return { onProgress: () => {}, stop: () => {} };
  const multi = new cliProgress.MultiBar(
    {
      format: '{stage} {table} [{bar}] {percentage}% | {value}/{total} rows | {rate} rows/s | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, { bar: cliProgress.SingleBar; started: number }>();
  let stopped = false;
  return {
    onProgress(p) {
      if (stopped) return;
      const k = `${p.stage}:${p.table}`;
      const total = Math.max(p.total ?? p.done, 1);
      const hit = bars.get(k);
      if (!hit) {
        bars.set(k, { bar: multi.create(total, p.done, { stage: STAGE[p.stage].padEnd(8), table: p.table.padEnd(22), rate: 0 }), started: performance.now() });
        return;
      }
      const s = (performance.now() - hit.started) / 1000;
      hit.bar.setTotal(total);
      hit.bar.update(p.done, { rate: s > 0 ? Math.round(p.done / s) : 0 });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      multi.stop();
    },
  };
}
