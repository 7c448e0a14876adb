// How the baseline child process hands its measurements to the bench: one marked JSON line on stdout.
import type { PhaseReport } from './load.ts';

const MARKER = 'BASELINE_REPORT ';

export type BaselineReport = PhaseReport;

export function baselineReportLine(report: BaselineReport): string {
  return MARKER + JSON.stringify(report);
}

/** The report from a line the baseline printed, or undefined for any other line. */
export function parseBaselineReportLine(line: string): BaselineReport | undefined {
  return line.startsWith(MARKER) ? (JSON.parse(line.slice(MARKER.length)) as BaselineReport) : undefined;
}
