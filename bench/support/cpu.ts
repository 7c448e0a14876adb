// CPU time (user + system) in milliseconds, as a counter read before and after a scenario.
import { processTree, readProcStat, ticksPerSecond } from './proc.ts';

/** Reads a monotonically growing CPU-time counter, in ms. */
export type CpuClock = () => number;

/** CPU ms used so far by a process and its live descendants, from /proc. */
export function processTreeCpuClock(rootPid: number): CpuClock {
  return () => {
    const ticks = processTree(rootPid).reduce((sum, pid) => sum + (readProcStat(pid)?.cpuTicks ?? 0), 0);
    return (ticks * 1000) / ticksPerSecond();
  };
}

/** CPU ms used so far by this very process (every thread). */
export const ownCpuClock: CpuClock = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};
