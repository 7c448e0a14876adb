import { MultiBar, Presets } from 'cli-progress';
import { countsOf, describeCounts, SUCCEEDED, type RowOutcome } from './outcomes.ts';

/** How an apply run tells where it is: a bar on a terminal, a line a row otherwise. */
export interface Progress {
  start(total: number): void;
  /** A row (or a removal) ended: `sent`, by requests to the gateway, or at once, by the plan. */
  ended(outcome: RowOutcome, sent: boolean): void;
  /** Something to say between the rows: a wait the gateway asked for, Ctrl-C. */
  note(message: string): void;
  stop(): void;
}

/** What a row's end says: `line 4 ada.l: created`, with the error of one that failed. */
export function describeOutcome(outcome: RowOutcome): string {
  const where = outcome.line === null ? `${outcome.username}` : `line ${outcome.line} ${outcome.username ?? ''}`.trimEnd();
  const fields = outcome.fields?.length ? ` (${outcome.fields.join(', ')})` : '';
  const error = outcome.error ? `: ${outcome.error.type}: ${outcome.error.message}` : '';
  const fieldErrors = outcome.error?.fields?.map(({ field, message }) => `; ${field}: ${message}`).join('') ?? '';
  const note = outcome.note ? ` (${outcome.note})` : '';
  return `${where}: ${outcome.outcome}${fields}${error}${fieldErrors}${note}`;
}

/** Rows the gateway got through a second, since the start (rows the plan settled alone do not count). */
function rateMeter() {
  const since = Date.now();
  let sent = 0;
  return (wasSent: boolean): string => {
    if (wasSent) sent++;
    return sent ? (sent / Math.max((Date.now() - since) / 1000, 0.001)).toFixed(1) : '-';
  };
}

/** A progress bar with the counts of each outcome and the rate, redrawn in place (for a terminal). */
export function progressBar(stream: NodeJS.WritableStream): Progress {
  const bars = new MultiBar(
    {
      stream,
      format: '{bar} {value}/{total} rows | {counts} | {rate} rows/s | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: false,
    },
    Presets.shades_classic,
  );
  const outcomes: RowOutcome[] = [];
  let rate = rateMeter();
  let bar: ReturnType<MultiBar['create']> | undefined;
  return {
    start(total) {
      rate = rateMeter();
      bar = bars.create(total, 0, { counts: 'starting', rate: '-' });
    },
    ended(outcome, sent) {
      outcomes.push(outcome);
      // Failures are shown as they come; the rest is in the counts.
      if (!SUCCEEDED.has(outcome.outcome)) bars.log(`${describeOutcome(outcome)}\n`);
      bar?.increment(1, { counts: describeCounts(countsOf(outcomes)), rate: rate(sent) });
    },
    note(message) {
      bars.log(`${message}\n`);
    },
    stop() {
      bars.stop();
    },
  };
}

/** One line a row, with the counts so far and the rate: for a pipe, a file or a CI log. */
export function progressLines(write: (line: string) => void): Progress {
  const outcomes: RowOutcome[] = [];
  let rate = rateMeter();
  let total = 0;
  return {
    start(rows) {
      total = rows;
      rate = rateMeter();
    },
    ended(outcome, sent) {
      outcomes.push(outcome);
      write(`${describeOutcome(outcome)} [${outcomes.length}/${total}: ${describeCounts(countsOf(outcomes))}; ${rate(sent)} rows/s]`);
    },
    note: write,
    stop() {},
  };
}
