/** Percentiles over a sliding window of the last `size` samples, in ms. */
export class LatencyWindow {
  readonly #samples: number[] = [];
  #next = 0;
  count = 0;
  constructor(private readonly size = 2048) {}

  record(ms: number): void {
    this.count++;
    if (this.#samples.length < this.size) this.#samples.push(ms);
    else this.#samples[this.#next] = ms;
    this.#next = (this.#next + 1) % this.size;
  }

  /** `{ count, p50, p95, p99 }` in ms (null when no sample yet). */
  summary(): { count: number; p50: number | null; p95: number | null; p99: number | null } {
    const s = [...this.#samples].sort((a, b) => a - b);
    const at = (p: number) => (s.length ? round(s[Math.min(s.length - 1, Math.floor(p * s.length))]!) : null);
    return { count: this.count, p50: at(0.5), p95: at(0.95), p99: at(0.99) };
  }
}

const round = (n: number) => Math.round(n * 1000) / 1000;
