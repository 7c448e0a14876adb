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
  /** added by the simulators to every upstream call */
  upstreamLatencyMs: number;
  clients: number;
  queries: number;
  failures: number;
  failureSamples: string[];
  elapsedMs: number;
  queriesPerSecond: number;
  latencyMs: LatencySummary;
  upstreamRequests: PerUpstream<number> & { total: number; perQuery: number };
  /** connections to each upstream that carried their first call during the run */
  connectionsOpened: PerUpstream<number>;
  /** CPU ms per query, by the name of each clock measured */
  cpuMsPerQuery: Record<string, number>;
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
  const stats = await measuring.counters.readStats();
  const queries = plan.clients * plan.queriesPerClient;
  const requests = { gate: stats.gate.requests, edge: stats.edge.requests, switch: stats.switch.requests };
  const totalRequests = requests.gate + requests.edge + requests.switch;
  return {
    name: plan.name,
    upstreamLatencyMs: plan.upstreamLatencyMs,
    clients: plan.clients,
    queries,
    failures: outcome.failures,
    failureSamples: outcome.failureSamples,
    elapsedMs: outcome.elapsedMs,
    queriesPerSecond: (queries * 1000) / outcome.elapsedMs,
    latencyMs: summarizeLatencies(outcome.latenciesMs),
    upstreamRequests: { ...requests, total: totalRequests, perQuery: totalRequests / queries },
    connectionsOpened: { gate: stats.gate.connections, edge: stats.edge.connections, switch: stats.switch.connections },
    cpuMsPerQuery: Object.fromEntries(
      Object.entries(cpuAfter).map(([name, after]) => [name, (after - (cpuBefore[name] ?? after)) / queries]),
    ),
  };
}

/** One subject (the gateway or the baseline) at one upstream latency: its warm-up, measured too, and its rows. */
export interface PhaseReport {
  warmup: ScenarioResult;
  rows: ScenarioResult[];
}

/** Runs the warm-up, which must not fail, and then each row, all measured. */
export async function runPhase(
  plans: { warmup: LoadPlan; rows: readonly LoadPlan[] },
  task: QueryTask,
  measuring: { counters: SimulatorCounters; cpuClocks: Readonly<Record<string, CpuClock>> },
): Promise<PhaseReport> {
  const warmup = await measureScenario(plans.warmup, task, measuring);
  if (warmup.failures > 0) throw new Error(`warm-up: ${warmup.failures} queries failed: ${warmup.failureSamples.join('; ')}`);
  const rows: ScenarioResult[] = [];
  for (const plan of plans.rows) rows.push(await measureScenario(plan, task, measuring));
  return { warmup, rows };
}
