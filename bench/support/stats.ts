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

/** The least-squares line through (x, y) points: its slope (y per x) and its value at x = 0; NaN for fewer than 2 distinct x. */
export function leastSquaresLine(points: readonly { x: number; y: number }[]): { slope: number; intercept: number } {
  const count = points.length;
  if (count < 2) return { slope: Number.NaN, intercept: Number.NaN };
  const meanX = points.reduce((sum, point) => sum + point.x, 0) / count;
  const meanY = points.reduce((sum, point) => sum + point.y, 0) / count;
  let covariance = 0;
  let varianceX = 0;
  for (const point of points) {
    covariance += (point.x - meanX) * (point.y - meanY);
    varianceX += (point.x - meanX) ** 2;
  }
  if (varianceX === 0) return { slope: Number.NaN, intercept: Number.NaN };
  const slope = covariance / varianceX;
  return { slope, intercept: meanY - slope * meanX };
}
