export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an ascending list: always a value that was actually observed. */
export function percentile(ascending: readonly number[], fraction: number): number {
  if (ascending.length === 0) return Number.NaN;
  const rank = Math.ceil(fraction * ascending.length);
  return ascending[Math.min(ascending.length, Math.max(1, rank)) - 1] as number;
}

export function summarizeLatencies(samples: readonly number[]): LatencySummary {
  const ascending = [...samples].sort((a, b) => a - b);
  const total = ascending.reduce((sum, value) => sum + value, 0);
  return {
    p50: percentile(ascending, 0.5),
    p90: percentile(ascending, 0.9),
    p99: percentile(ascending, 0.99),
    max: ascending.at(-1) ?? Number.NaN,
    mean: ascending.length === 0 ? Number.NaN : total / ascending.length,
  };
}
