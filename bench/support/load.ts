// Closed-loop load: N clients, each sending its next query when the previous one answered.
import type { CpuClock } from './cpu.ts';
import type { PerUpstream, SimulatorCounters } from './simulators.ts';
import { summarizeLatencies, type LatencySummary } from './stats.ts';
import type { LoadPlan } from './workload.ts';

/** One query (or baseline iteration); throws when the answer is wrong. */
export type QueryTask = () => Promise<void>;

const FAILURE_SAMPLES_KEPT = 3;

export interface LoadOutcome {
  /** of successful queries only */
  latenciesMs: number[];
  failures: number;
  /** the first few distinct failure messages */
  failureSamples: string[];
  elapsedMs: number;
}

export async function runLoad(plan: LoadPlan, task: QueryTask): Promise<LoadOutcome> {
  const outcome: LoadOutcome = { latenciesMs: [], failures: 0, failureSamples: [], elapsedMs: 0 };
  const runClient = async () => {
    for (let query = 0; query < plan.queriesPerClient; query++) {
      const startedAt = performance.now();
      try {
        await task();
        outcome.latenciesMs.push(performance.now() - startedAt);
      } catch (error) {
        recordFailure(outcome, error);
      }
    }
  };
  const startedAt = performance.now();
  await Promise.all(Array.from({ length: plan.clients }, runClient));
  outcome.elapsedMs = performance.now() - startedAt;
  return outcome;
}

function recordFailure(outcome: LoadOutcome, error: unknown): void {
  outcome.failures++;
  const message = error instanceof Error ? error.message : String(error);
  if (outcome.failureSamples.length < FAILURE_SAMPLES_KEPT && !outcome.failureSamples.includes(message)) {
    outcome.failureSamples.push(message);
    // Loud at once: a wrong answer makes every number of the run suspect.
    console.error(`query failed: ${message}`);
  }
}

export interface ScenarioResult {
  name: string;
  clients: number;
  queries: number;
  failures: number;
  failureSamples: string[];
  elapsedMs: number;
  queriesPerSecond: number;
  latencyMs: LatencySummary;
  upstreamRequests: PerUpstream<number> & { total: number; perQuery: number };
  /** CPU ms per query, by the name of each clock measured */
  cpuMsPerQuery: Record<string, number>;
}

/** The two measured scenarios, as both the gateway run and the baseline report them. */
export interface ScenarioPair {
  singleClient: ScenarioResult;
  concurrent: ScenarioResult;
}

function readClocks(clocks: Readonly<Record<string, CpuClock>>): Record<string, number> {
  return Object.fromEntries(Object.entries(clocks).map(([name, clock]) => [name, clock()]));
}

/** Runs one plan with the simulators' counters reset first and the CPU clocks read around it. */
export async function measureScenario(
  plan: LoadPlan,
  task: QueryTask,
  measuring: { counters: SimulatorCounters; cpuClocks: Readonly<Record<string, CpuClock>> },
): Promise<ScenarioResult> {
  await measuring.counters.reset();
  const cpuBefore = readClocks(measuring.cpuClocks);
  const outcome = await runLoad(plan, task);
  const cpuAfter = readClocks(measuring.cpuClocks);
  const requests = await measuring.counters.read();
  const queries = plan.clients * plan.queriesPerClient;
  const totalRequests = requests.gate + requests.edge + requests.switch;
  return {
    name: plan.name,
    clients: plan.clients,
    queries,
    failures: outcome.failures,
    failureSamples: outcome.failureSamples,
    elapsedMs: outcome.elapsedMs,
    queriesPerSecond: (queries * 1000) / outcome.elapsedMs,
    latencyMs: summarizeLatencies(outcome.latenciesMs),
    upstreamRequests: { ...requests, total: totalRequests, perQuery: totalRequests / queries },
    cpuMsPerQuery: Object.fromEntries(
      Object.entries(cpuAfter).map(([name, after]) => [name, (after - (cpuBefore[name] ?? after)) / queries]),
    ),
  };
}
