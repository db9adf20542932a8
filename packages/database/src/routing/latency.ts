/**
 * Upper bounds of the cumulative latency buckets, in seconds (Prometheus `le`; `+Inf` is implied).
 * From 0.5 ms (a LibSQL insert) to 10 s (a shadow write at its deadline).
 */
export const LATENCY_BUCKETS_S: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Every sample since start of one operation, bucketed (read-only copy). */
export interface LatencyBuckets {
  /** Samples per bucket of {@link LATENCY_BUCKETS_S}, NOT cumulative; one more entry at the end for `+Inf`. */
  readonly counts: readonly number[];
  /** Sum of every sample, in seconds. */
  readonly sumS: number;
  readonly count: number;
}

/** {@link LatencyBuckets} per operation (`insert`, `find`, `apply`…), since start. */
export type LatencyHistogram = Readonly<Record<string, LatencyBuckets>>;

/**
 * Percentiles over a sliding window of the last `size` samples, in ms, plus a histogram of every
 * sample since start per operation (for `/metrics`).
 */
export class LatencyWindow {
  readonly #samples: number[] = [];
  readonly #byOperation = new Map<string, { counts: number[]; sumS: number; count: number }>();
  #next = 0;
  count = 0;
  constructor(private readonly size = 2048) {}

  /** One sample of `ms` milliseconds, for `operation` (default `all`). */
  record(ms: number, operation = 'all'): void {
    this.count++;
    if (this.#samples.length < this.size) this.#samples.push(ms);
    else this.#samples[this.#next] = ms;
    this.#next = (this.#next + 1) % this.size;
    let h = this.#byOperation.get(operation);
    if (!h) this.#byOperation.set(operation, (h = { counts: new Array<number>(LATENCY_BUCKETS_S.length + 1).fill(0), sumS: 0, count: 0 }));
    const s = ms / 1000;
    let i = 0;
    while (i < LATENCY_BUCKETS_S.length && s > LATENCY_BUCKETS_S[i]!) i++;
    h.counts[i]!++;
    h.sumS += s;
    h.count++;
  }

  /** `{ count, p50, p95, p99 }` in ms (null when no sample yet). */
  summary(): { count: number; p50: number | null; p95: number | null; p99: number | null } {
    const s = [...this.#samples].sort((a, b) => a - b);
    const at = (p: number) => (s.length ? round(s[Math.min(s.length - 1, Math.floor(p * s.length))]!) : null);
    return { count: this.count, p50: at(0.5), p95: at(0.95), p99: at(0.99) };
  }

  /** Every sample since start, bucketed per operation (a copy; see {@link LATENCY_BUCKETS_S}). */
  histogram(): LatencyHistogram {
    const out: Record<string, LatencyBuckets> = {};
    for (const [op, h] of this.#byOperation) out[op] = { counts: [...h.counts], sumS: h.sumS, count: h.count };
    return out;
  }
}

const round = (n: number) => Math.round(n * 1000) / 1000;
