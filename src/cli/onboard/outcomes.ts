import { writeFileSync } from 'node:fs';

export type Outcome = 'created' | 'changed' | 'unchanged' | 'failed' | 'skipped' | 'removed';

/** Why a row failed: the gateway's typed failure (its `__typename`), or `invalid`, `conflict`, `NoAnswer`. */
export interface RowError {
  type: string;
  message: string;
  fields?: { field: string; message: string }[];
}

/**
 * What became of one row (or, with `--prune`, of one member no row names: `line` null). Never a
 * secret: ids are the gateway's global ids.
 */
export interface RowOutcome {
  line: number | null;
  username: string | null;
  outcome: Outcome;
  /** The records made or changed, by their global ids: `user`, `token`, `extra`, `edgeUser`, `accessToken`. */
  ids?: Record<string, string>;
  /** For `changed` (and a change that failed part way): the columns and records it concerned. */
  fields?: string[];
  error?: RowError;
  /** Why a row was skipped, or what to know about one that succeeded. */
  note?: string;
}

export const SUCCEEDED: ReadonlySet<Outcome> = new Set(['created', 'changed', 'unchanged', 'removed']);

export type Counts = Record<Outcome, number>;

export function countsOf(outcomes: readonly RowOutcome[]): Counts {
  const counts: Counts = { created: 0, changed: 0, unchanged: 0, failed: 0, skipped: 0, removed: 0 };
  for (const { outcome } of outcomes) counts[outcome]++;
  return counts;
}

/** `12 created, 3 unchanged, 1 failed`: the outcomes that occurred, in a fixed order. */
export function describeCounts(counts: Counts): string {
  const parts = (Object.entries(counts) as [Outcome, number][]).filter(([, count]) => count > 0).map(([outcome, count]) => `${count} ${outcome}`);
  return parts.join(', ') || 'nothing';
}

/** The results file: one JSON line per row, in the order of the file, then the members removed. */
export function writeResults(path: string, outcomes: readonly RowOutcome[]): void {
  const ordered = [...outcomes].sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
  writeFileSync(path, ordered.map((outcome) => JSON.stringify(outcome)).join('\n') + (ordered.length ? '\n' : ''));
}
