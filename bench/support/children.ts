// Child processes that never outlive the bench: each runs in its own process group (so a
// launcher's own children go with it), and every group is killed on exit, error or Ctrl-C.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { processGroupIsAlive } from './proc.ts';

export interface ChildSpec {
  /** shown in messages, e.g. "gateway" */
  name: string;
  command: string;
  args: readonly string[];
  /** the working directory (the repository root, say) */
  cwd: string;
  /** on top of this process's environment; undefined removes an inherited variable */
  env: Readonly<Record<string, string | undefined>>;
}

export type OutputListener = (line: string, stream: 'stdout' | 'stderr') => void;

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const OUTPUT_TAIL_LINES = 40;
/** Startup parsing reads only the first lines; the rest of a chatty child is not kept. */
const STDOUT_LINES_KEPT = 200;
const STOP_GRACE_MS = 5_000;
const GROUP_POLL_MS = 50;

const liveChildren = new Set<ManagedChild>();

export class ManagedChild {
  readonly name: string;
  /** also the process group id: the child leads its own group */
  readonly pid: number;
  /** once the process has ended and all its output has been read */
  readonly exited: Promise<ExitStatus>;
  #exitStatus: ExitStatus | undefined;
  readonly #process: ChildProcess;
  readonly #stdoutLines: string[] = [];
  readonly #outputTail: string[] = [];
  readonly #stdoutListeners = new Set<(line: string) => void>();
  readonly #outputListeners = new Set<OutputListener>();

  constructor(spec: ChildSpec) {
    this.name = spec.name;
    this.#process = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    if (this.#process.pid === undefined) throw new Error(`${spec.name}: could not start ${spec.command}`);
    this.pid = this.#process.pid;
    // 'close', not 'exit': only then has every line the child printed been read.
    this.exited = new Promise((resolve) => {
      this.#process.once('close', (code, signal) => {
        this.#exitStatus = { code, signal };
        resolve(this.#exitStatus);
      });
    });
    // Both pipes are always drained: a child blocked on a full pipe would stall the benchmark.
    createInterface({ input: this.#process.stdout! }).on('line', (line) => this.#onStdout(line));
    createInterface({ input: this.#process.stderr! }).on('line', (line) => {
      this.#remember(`[stderr] ${line}`);
      for (const listener of this.#outputListeners) listener(line, 'stderr');
    });
  }

  /**
   * Feeds every line the child prints from now on, on either stream, to `listener` (the tail kept
   * for error messages is short: a soak that must see every line listens instead).
   */
  onOutput(listener: OutputListener): void {
    this.#outputListeners.add(listener);
  }

  get hasExited(): boolean {
    return this.#exitStatus !== undefined;
  }

  #remember(line: string): void {
    this.#outputTail.push(line);
    if (this.#outputTail.length > OUTPUT_TAIL_LINES) this.#outputTail.shift();
  }

  #onStdout(line: string): void {
    this.#remember(line);
    if (this.#stdoutLines.length < STDOUT_LINES_KEPT) this.#stdoutLines.push(line);
    for (const listener of this.#stdoutListeners) listener(line);
    for (const listener of this.#outputListeners) listener(line, 'stdout');
  }

  /** The last lines the child printed, for error messages. */
  outputTail(): string {
    return this.#outputTail.map((line) => `  ${this.name}| ${line}`).join('\n');
  }

  /**
   * Feeds every stdout line (those already printed first) to `parse` until it returns a value.
   * Fails if the child exits or the time runs out first.
   */
  waitForStdout<T>(parse: (line: string) => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (settle: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.#stdoutListeners.delete(listener);
        settle();
      };
      const listener = (line: string) => {
        const value = parse(line);
        if (value !== undefined) finish(() => resolve(value));
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`${this.name}: no ${what} within ${timeoutMs} ms\n${this.outputTail()}`))),
        timeoutMs,
      );
      void this.exited.then((status) =>
        finish(() => reject(new Error(`${this.name} exited (${describeExit(status)}) before ${what}\n${this.outputTail()}`))),
      );
      this.#stdoutListeners.add(listener);
      for (const line of [...this.#stdoutLines]) {
        if (!settled) listener(line);
      }
    });
  }

  #signalGroup(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, signal);
    } catch {
      // ESRCH: the whole group is gone already
    }
  }

  async #waitForGroupToEnd(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (this.hasExited && !processGroupIsAlive(this.pid)) return true;
      await sleep(GROUP_POLL_MS);
    }
    return false;
  }

  /** SIGTERM to the group, then SIGKILL to whatever is left after a grace period. */
  async stop(): Promise<void> {
    this.#signalGroup('SIGTERM');
    if (!(await this.#waitForGroupToEnd(STOP_GRACE_MS))) {
      this.#signalGroup('SIGKILL');
      await this.#waitForGroupToEnd(STOP_GRACE_MS);
    }
    liveChildren.delete(this);
  }

  /** Synchronous last resort for process exit, when no await is possible. */
  killGroupNow(): void {
    this.#signalGroup('SIGKILL');
  }
}

export function describeExit(status: ExitStatus): string {
  return status.signal ? `signal ${status.signal}` : `code ${status.code}`;
}

export function startChild(spec: ChildSpec): ManagedChild {
  const child = new ManagedChild(spec);
  liveChildren.add(child);
  return child;
}

export async function stopAllChildren(): Promise<void> {
  await Promise.all([...liveChildren].map((child) => child.stop()));
}

let handlersInstalled = false;
let interruptedBy: NodeJS.Signals | undefined;

/** 128 + the signal number once Ctrl-C or SIGTERM arrived (the shell's convention), else undefined. */
export function exitCodeAfterInterruption(): number | undefined {
  return interruptedBy === undefined ? undefined : 128 + constants.signals[interruptedBy];
}

/** Ctrl-C, SIGTERM and any exit of this process take every child process group down too. */
export function stopChildrenOnExit(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interruptedBy !== undefined) return;
    interruptedBy = signal;
    console.error(`\n${signal}: stopping child processes`);
    void stopAllChildren().finally(() => process.exit(exitCodeAfterInterruption()));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', () => {
    for (const child of liveChildren) child.killGroupNow();
  });
}
