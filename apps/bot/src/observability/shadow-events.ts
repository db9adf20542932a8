import type { Logger } from '@repo/database';

/** What happened to a row change that did not reach the shadow. */
export type ShadowLossOutcome = 'failed' | 'dropped' | 'abandoned';

/** One count of {@link ShadowEventCounts}: outcome, table, cause (stable error code) and backend. */
export interface ShadowLossCount {
  readonly outcome: ShadowLossOutcome;
  /** The row's table; `unknown` for rows lost with a shadow worker that died (logged as a count only). */
  readonly table: string;
  /** `SHADOW_WRITE_FAILED`, `SHADOW_TIMEOUT`, `SHADOW_QUEUE_FULL`, … plus the driver's code for a failed write (`SHADOW_WRITE_FAILED/23505`). */
  readonly cause: string;
  readonly backend: string;
  readonly rows: number;
}

/**
 * Shadow writes that did not land, counted by outcome, table and cause since start. The database
 * package logs every such row change once, by id (`shadow_write_failed`, `shadow_write_dropped`,
 * and `shadow_worker_failed` with the number of rows a dead worker took with it): the counts are
 * taken from those events, through the logger given to `createDatabase` ({@link tap}). Its
 * `stats()` totals stay the reference; these add the breakdown.
 */
export class ShadowEventCounts {
  readonly #counts = new Map<string, ShadowLossCount>();

  /** Counts one logged event (ignores every other event). */
  note(obj: unknown): void {
    if (!obj || typeof obj !== 'object') return;
    const o = obj as Record<string, unknown>;
    const str = (v: unknown, d: string) => (typeof v === 'string' && v.length > 0 && v.length <= 80 ? v : d);
    let outcome: ShadowLossOutcome;
    let rows = 1;
    if (o.event === 'shadow_write_failed') outcome = 'failed';
    else if (o.event === 'shadow_write_dropped') outcome = 'dropped';
    else if (o.event === 'shadow_worker_failed') {
      outcome = 'abandoned';
      rows = typeof o.rows === 'number' && Number.isFinite(o.rows) ? o.rows : 0;
      if (rows <= 0) return;
    } else return;
    const code = str(o.code, 'UNKNOWN');
    const driver = str(o.cause, '');
    const cause = outcome === 'failed' && driver && driver !== code && code === 'SHADOW_WRITE_FAILED' ? `${code}/${driver}` : code;
    const table = str(o.table, 'unknown');
    const backend = str(o.backend, 'unknown');
    const key = `${outcome}\u0000${table}\u0000${cause}\u0000${backend}`;
    const prev = this.#counts.get(key);
    this.#counts.set(key, { outcome, table, cause, backend, rows: (prev?.rows ?? 0) + rows });
  }

  /** Every count so far (copies). */
  counts(): ShadowLossCount[] {
    return [...this.#counts.values()];
  }

  /**
   * A logger that behaves exactly like `logger` (same level, output and children) and feeds every
   * `warn`/`error` object to {@link note} first, whatever the level lets through.
   */
  tap(logger: Logger): Logger {
    const wrap = (target: Logger): Logger =>
      new Proxy(target, {
        get: (t, prop, receiver) => {
          const v = Reflect.get(t, prop, receiver) as unknown;
          if (prop === 'warn' || prop === 'error') {
            return (...args: unknown[]) => {
              this.note(args[0]);
              return (v as (...a: unknown[]) => unknown).apply(t, args);
            };
          }
          if (prop === 'child') return (...args: unknown[]) => wrap((v as (...a: unknown[]) => Logger).apply(t, args));
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
        },
      });
    return wrap(logger);
  }
}
