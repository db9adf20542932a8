/** Percentile of sorted samples (nearest rank), in the samples' unit. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** `{ n, p50, p99, mean }` of latency samples in ms. */
export function summarize(samples: readonly number[]): { n: number; p50: number; p99: number; mean: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 0.5), p99: percentile(s, 0.99), mean: s.reduce((a, b) => a + b, 0) / (s.length || 1) };
}

export const fmt = (n: number, digits = 3): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
