// Linux /proc readers: process state, parentage, process groups and CPU ticks.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  /** R, S, D, Z (zombie), ... */
  state: string;
  processGroup: number;
  /** utime + stime of every thread, in clock ticks */
  cpuTicks: number;
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process (or thread) exited meanwhile
  }
}

/** Resident memory of a process in bytes (VmRSS of /proc/<pid>/status), or undefined once it is gone. */
export function readRssBytes(pid: number): number | undefined {
  const status = readOrUndefined(`/proc/${pid}/status`);
  const match = status === undefined ? null : /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return match ? Number(match[1]) * 1024 : undefined;
}

/**
 * How long a process's main thread (the event loop) has waited, runnable, for a CPU, in ms
 * (`/proc/<pid>/schedstat`, its second field): on a machine shared with other work, the part of a
 * slow answer that was the machine's doing. Undefined once the process is gone.
 */
export function readRunQueueWaitMs(pid: number): number | undefined {
  const fields = readOrUndefined(`/proc/${pid}/schedstat`)?.split(' ');
  return fields?.[1] === undefined ? undefined : Number(fields[1]) / 1e6;
}

/** /proc/<pid>/stat, or undefined once the process is gone. */
export function readProcStat(pid: number): ProcStat | undefined {
  const line = readOrUndefined(`/proc/${pid}/stat`);
  if (line === undefined) return undefined;
  // The command name (field 2) may hold spaces and parentheses: count fields after its closing ")".
  // Field n of the line (1-based) is then at index n - 3.
  const fields = line.slice(line.lastIndexOf(')') + 2).split(' ');
  return {
    state: fields[0] ?? '?',
    processGroup: Number(fields[2]),
    cpuTicks: Number(fields[11]) + Number(fields[12]),
  };
}

let cachedTicksPerSecond: number | undefined;

/** /proc counts CPU time in clock ticks, whose length is a kernel setting (almost always 100 Hz). */
export function ticksPerSecond(): number {
  if (cachedTicksPerSecond === undefined) {
    let ticks = Number.NaN;
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    } catch {
      // no getconf: keep the usual value below
    }
    cachedTicksPerSecond = Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
  }
  return cachedTicksPerSecond;
}

function childPids(pid: number): number[] {
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return threads.flatMap((thread) => {
    const children = readOrUndefined(`/proc/${pid}/task/${thread}/children`) ?? '';
    return children.split(' ').filter((text) => text !== '').map(Number);
  });
}

/** A process and its live descendants (workers, or a launcher that runs node as its child). */
export function processTree(rootPid: number): number[] {
  const pids: number[] = [];
  const pending = [rootPid];
  // Bounded even if /proc were inconsistent: no real tree here comes near this size.
  while (pending.length > 0 && pids.length < 10_000) {
    const pid = pending.pop() as number;
    pids.push(pid);
    pending.push(...childPids(pid));
  }
  return pids;
}

/**
 * Whether any non-zombie process is still in the group. Zombies do not count: in a container
 * whose PID 1 never reaps, a group's orphans may stay zombies forever, yet they are dead.
 */
export function processGroupIsAlive(processGroup: number): boolean {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (stat && stat.processGroup === processGroup && stat.state !== 'Z') return true;
  }
  return false;
}
