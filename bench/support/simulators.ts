// The simulated upstreams as the benchmark sees them: a child process printing env lines, and
// the per-origin control endpoints that count API requests.
import { request } from 'undici';
import type { FaultRule, SimulatorStats } from '../../src/simulators/index.ts';
import { startChild, type ManagedChild } from './children.ts';
import { requiredEnv } from './env.ts';

export const UPSTREAM_ENV_KEYS = [
  'GATE_URL',
  'GATE_TOKEN',
  'EDGE_URL',
  'EDGE_USERNAME',
  'EDGE_PASSWORD',
  'SWITCH_URL',
  'SWITCH_TOKEN',
] as const;

export type UpstreamEnv = Record<(typeof UPSTREAM_ENV_KEYS)[number], string>;

export const UPSTREAM_NAMES = ['gate', 'edge', 'switch'] as const;
export type UpstreamName = (typeof UPSTREAM_NAMES)[number];
export type PerUpstream<T> = Record<UpstreamName, T>;

const STARTUP_TIMEOUT_MS = 30_000;

function isUpstreamEnvKey(key: string): key is keyof UpstreamEnv {
  return (UPSTREAM_ENV_KEYS as readonly string[]).includes(key);
}

/** Collects `KEY=value` lines until every upstream variable has been printed. */
function upstreamEnvCollector(): (line: string) => UpstreamEnv | undefined {
  const collected: Partial<UpstreamEnv> = {};
  return (line) => {
    const match = /^([A-Z_]+)=(.*)$/.exec(line);
    if (match && isUpstreamEnvKey(match[1] as string)) collected[match[1] as keyof UpstreamEnv] = match[2] as string;
    return UPSTREAM_ENV_KEYS.every((key) => collected[key] !== undefined) ? (collected as UpstreamEnv) : undefined;
  };
}

export interface SimulatorProcess {
  child: ManagedChild;
  env: UpstreamEnv;
}

/** Our own simulators: the entry a bench starts unless told otherwise. */
export const SIMULATORS_ENTRY = 'src/simulators/main.ts';
/** Another implementation of the three upstreams, written apart from ours from the docs alone. */
export const INDEPENDENT_UPSTREAMS_ENTRY = 'bench/independent/main.ts';

/**
 * The upstreams entry chosen by `BENCH_UPSTREAMS`: `simulators` (the default) or `independent`.
 * Both take the same env (SIMULATOR_LATENCY_MS, *_PORT), print the same env lines and serve the
 * same /__simulator/ counters.
 */
export function upstreamsEntryFromEnv(): { name: string; entry: string } {
  const name = process.env['BENCH_UPSTREAMS'] || 'simulators';
  if (name === 'simulators') return { name, entry: SIMULATORS_ENTRY };
  if (name === 'independent') return { name, entry: INDEPENDENT_UPSTREAMS_ENTRY };
  throw new Error(`BENCH_UPSTREAMS must be simulators or independent, not ${name}`);
}

export async function startSimulatorProcess(options: {
  repositoryRoot: string;
  latencyMs: number;
  ports: PerUpstream<number>;
  /** the script to run, relative to the repository root (default: our simulators) */
  entry?: string;
}): Promise<SimulatorProcess> {
  // node itself, not `npm run`: npm does not pass SIGTERM on to its script.
  const child = startChild({
    name: 'simulators',
    command: process.execPath,
    args: [options.entry ?? SIMULATORS_ENTRY],
    cwd: options.repositoryRoot,
    env: {
      SIMULATOR_LATENCY_MS: String(options.latencyMs),
      GATE_PORT: String(options.ports.gate),
      EDGE_PORT: String(options.ports.edge),
      SWITCH_PORT: String(options.ports.switch),
    },
  });
  const env = await child.waitForStdout(upstreamEnvCollector(), 'upstream env lines', STARTUP_TIMEOUT_MS);
  return { child, env };
}

/** The upstream variables a parent process handed down. */
export function upstreamEnvFromProcess(): UpstreamEnv {
  return Object.fromEntries(UPSTREAM_ENV_KEYS.map((key) => [key, requiredEnv(key)])) as UpstreamEnv;
}

function simulatorOrigins(env: UpstreamEnv): PerUpstream<string> {
  return {
    gate: new URL(env.GATE_URL).origin,
    edge: new URL(env.EDGE_URL).origin,
    switch: new URL(env.SWITCH_URL).origin,
  };
}

/** The counters of the three simulators (API requests, connections, faults), served outside each API prefix. */
export class SimulatorCounters {
  readonly #origins: PerUpstream<string>;

  constructor(env: UpstreamEnv) {
    this.#origins = simulatorOrigins(env);
  }

  async #forEach(method: 'GET' | 'POST', path: 'stats' | 'reset'): Promise<PerUpstream<SimulatorStats>> {
    const read = async (upstream: UpstreamName): Promise<SimulatorStats> => {
      const response = await request(`${this.#origins[upstream]}/__simulator/${path}`, { method });
      const body = (await response.body.json()) as Partial<SimulatorStats>;
      if (response.statusCode !== 200 || typeof body.requests !== 'number' || typeof body.connections !== 'number' || typeof body.faulted !== 'number') {
        throw new Error(`${upstream} simulator: ${method} /__simulator/${path} answered ${response.statusCode} without its counters`);
      }
      return { requests: body.requests, connections: body.connections, faulted: body.faulted, faultedByAction: body.faultedByAction ?? {} };
    };
    const [gate, edge, switchStats] = await Promise.all(UPSTREAM_NAMES.map(read));
    return { gate: gate!, edge: edge!, switch: switchStats! };
  }

  async reset(): Promise<void> {
    await this.#forEach('POST', 'reset');
  }

  /** Everything /__simulator/stats counts since the last reset: requests, connections newly used, and the faults that fired. */
  readStats(): Promise<PerUpstream<SimulatorStats>> {
    return this.#forEach('GET', 'stats');
  }
}

/** Fault rules on the simulators of a child process, over each one's /__simulator/faults. */
export class SimulatorFaults {
  readonly #origins: PerUpstream<string>;

  constructor(env: UpstreamEnv) {
    this.#origins = simulatorOrigins(env);
  }

  /** Adds the rules in order; a rule the simulator refuses (400) throws, naming its fields. */
  async add(upstream: UpstreamName, rules: readonly FaultRule[]): Promise<void> {
    for (const rule of rules) {
      const response = await request(`${this.#origins[upstream]}/__simulator/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(rule),
      });
      const text = await response.body.text();
      if (response.statusCode !== 201) throw new Error(`${upstream} simulator refused fault rule ${JSON.stringify(rule)}: ${response.statusCode} ${text}`);
    }
  }

  async clear(): Promise<void> {
    await Promise.all(
      UPSTREAM_NAMES.map(async (upstream) => {
        const response = await request(`${this.#origins[upstream]}/__simulator/faults`, { method: 'DELETE' });
        await response.body.dump();
        if (response.statusCode !== 200) throw new Error(`${upstream} simulator: DELETE /__simulator/faults answered ${response.statusCode}`);
      }),
    );
  }
}
