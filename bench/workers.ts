// `npm run bench:workers`: queries/s of the gateway with WORKERS=1 and WORKERS=2, on a query that
// needs no upstream (`{ __typename }`: the gateway's own CPU is all there is) and on the nested
// query of `npm run bench` (20 clients, 0 ms: the simulators and the load driver share the cores
// too). See bench/README.md, "Workers".
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { exitCodeAfterInterruption, stopAllChildren, stopChildrenOnExit } from './support/children.ts';
import { ownCpuClock, processTreeCpuClock } from './support/cpu.ts';
import { positiveIntegerFromEnv } from './support/env.ts';
import { startGateway } from './support/gateway.ts';
import { GraphQLClient } from './support/graphql-client.ts';
import { measureScenario, type QueryTask, type ScenarioResult } from './support/load.ts';
import { freePorts } from './support/ports.ts';
import { SimulatorCounters, startSimulatorProcess, type SimulatorProcess } from './support/simulators.ts';
import { BENCH_CLIENT, nestedQueryTask } from './support/subjects.ts';
import { decimal, formatTable, type Cell } from './support/table.ts';

const REPOSITORY_ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS_FILE = new URL('results/workers.json', import.meta.url);

const SETTINGS = {
  redisUrl: process.env['REDIS_URL'] || 'redis://127.0.0.1:6379',
  clients: positiveIntegerFromEnv('BENCH_WORKERS_CLIENTS', 20),
  typenameQueries: positiveIntegerFromEnv('BENCH_WORKERS_TYPENAME_QUERIES', 20_000),
  nestedQueries: positiveIntegerFromEnv('BENCH_WORKERS_NESTED_QUERIES', 600),
};
/** The processes compared; the second is the first's ratio. */
const WORKER_COUNTS = [1, 2] as const;
/** Issue 22's goal: two workers on two cores serve this many times the queries of one, on the query without upstream calls. */
const GOAL_RATIO = 1.6;

const TYPENAME_QUERY = 'query Typename { __typename }';

function typenameTask(client: GraphQLClient): QueryTask {
  return async () => {
    const answer = await client.postWithoutErrors(TYPENAME_QUERY);
    if (answer.data?.['__typename'] !== 'Query') throw new Error(`answered ${JSON.stringify(answer)}`);
  };
}

interface Workload {
  name: string;
  queries: number;
  /** Sent first, unmeasured, by one client per worker: every worker's JIT and pools warm, and its admission knows how fast queries end. */
  warmupQueries: number;
  task: (client: GraphQLClient) => QueryTask;
  /** The gateway's settings for it, on top of WORKERS and REDIS_URL. */
  env: Record<string, string>;
}

const WORKLOADS: readonly Workload[] = [
  { name: '{ __typename }', queries: SETTINGS.typenameQueries, warmupQueries: 2_000, task: typenameTask, env: {} },
  { name: 'nested, 0 ms', queries: SETTINGS.nestedQueries, warmupQueries: 40, task: nestedQueryTask, env: {} },
  // As when clients ask for different things: no read shared, in one process or in two.
  { name: 'nested, 0 ms, nothing shared', queries: SETTINGS.nestedQueries, warmupQueries: 40, task: nestedQueryTask, env: { UPSTREAM_SHARE_READS: 'false' } },
];

interface Run {
  workers: number;
  workload: string;
  result: ScenarioResult;
}

/** One workload through a gateway of `workers` processes: warmed up (every worker's JIT), then measured. */
async function runWorkload(simulators: SimulatorProcess, workload: Workload, workers: number): Promise<Run> {
  const [port] = (await freePorts(1)) as [number];
  const gateway = await startGateway({
    repositoryRoot: REPOSITORY_ROOT,
    upstreamEnv: simulators.env,
    port,
    clientKey: BENCH_CLIENT,
    // Redis for both, so that only the number of processes differs.
    env: { WORKERS: String(workers), REDIS_URL: SETTINGS.redisUrl, ...workload.env },
  });
  const client = new GraphQLClient(port, { headers: { 'x-api-key': BENCH_CLIENT.key } });
  const measuring = {
    counters: new SimulatorCounters(simulators.env),
    cpuClocks: { gateway: processTreeCpuClock(gateway.pid), simulators: processTreeCpuClock(simulators.child.pid), driver: ownCpuClock },
  };
  const plan = (name: string, clients: number, queries: number) => ({ name, upstreamLatencyMs: 0, clients, queriesPerClient: Math.ceil(queries / clients) });
  try {
    const task = workload.task(client);
    // A worker's admission measures how fast its budget frees up: a burst before any query ended would be shed.
    const warmup = await measureScenario(plan('warm-up', workers, workload.warmupQueries), task, measuring);
    if (warmup.failures > 0) throw new Error(`${workload.name}, WORKERS=${workers}: the warm-up failed: ${warmup.failureSamples.join('; ')}`);
    console.log(`${workload.name}, WORKERS=${workers}: running`);
    return { workers, workload: workload.name, result: await measureScenario(plan(workload.name, SETTINGS.clients, workload.queries), task, measuring) };
  } finally {
    await client.close();
    await gateway.stop();
  }
}

function printRuns(runs: readonly Run[]): void {
  console.log(`\nPer row (${SETTINGS.clients} clients; latency client side, ms; CPU ms/query: the gateway's processes, the simulators, the load driver)`);
  const headers = ['query', 'WORKERS', 'queries', 'failed', 'queries/s', 'p50', 'p99', 'CPU gateway', 'CPU simulators', 'CPU driver', 'upstream calls/query'];
  const body = runs.map((run): Cell[] => {
    const { result } = run;
    return [
      run.workload,
      run.workers,
      result.queries,
      result.failures,
      decimal(result.queriesPerSecond),
      decimal(result.latencyMs.p50, 2),
      decimal(result.latencyMs.p99, 2),
      decimal(result.cpuMsPerQuery['gateway'], 3),
      decimal(result.cpuMsPerQuery['simulators'], 3),
      decimal(result.cpuMsPerQuery['driver'], 3),
      decimal(result.upstreamRequests.perQuery, 1),
    ];
  });
  console.log(formatTable(headers, body));
}

interface Ratio {
  workload: string;
  ratio: number;
  goal: string;
  met: boolean | undefined;
}

function ratiosOf(runs: readonly Run[]): Ratio[] {
  return WORKLOADS.map((workload, index) => {
    const [one, two] = WORKER_COUNTS.map((workers) => runs.find((run) => run.workers === workers && run.workload === workload.name)?.result.queriesPerSecond ?? Number.NaN) as [number, number];
    const ratio = two / one;
    // Only the query without upstream calls measures the gateway alone: the nested one is reported.
    return index === 0 ? { workload: workload.name, ratio, goal: `>= ${GOAL_RATIO}x`, met: ratio >= GOAL_RATIO } : { workload: workload.name, ratio, goal: 'reported', met: undefined };
  });
}

function printRatios(ratios: readonly Ratio[]): void {
  console.log('\nqueries/s, WORKERS=2 / WORKERS=1');
  const rows = ratios.map((ratio): Cell[] => [ratio.workload, `${decimal(ratio.ratio, 2)}x`, ratio.goal, ratio.met === undefined ? '-' : ratio.met ? 'yes' : 'NO']);
  console.log(formatTable(['query', 'ratio', 'goal', 'met'], rows));
}

async function main(): Promise<number> {
  stopChildrenOnExit();
  console.log(`node ${process.version}, ${availableParallelism()} CPUs; ${SETTINGS.clients} clients; ${SETTINGS.typenameQueries} { __typename }, ${SETTINGS.nestedQueries} nested queries per row`);
  const [gatePort, edgePort, switchPort] = (await freePorts(3)) as [number, number, number];
  const simulators = await startSimulatorProcess({ repositoryRoot: REPOSITORY_ROOT, latencyMs: 0, ports: { gate: gatePort, edge: edgePort, switch: switchPort } });
  const runs: Run[] = [];
  try {
    // Both counts of one workload back to back: whatever else the machine does then, it does to both.
    for (const workload of WORKLOADS) for (const workers of WORKER_COUNTS) runs.push(await runWorkload(simulators, workload, workers));
  } finally {
    await simulators.child.stop();
  }
  printRuns(runs);
  const ratios = ratiosOf(runs);
  printRatios(ratios);
  const failed = runs.reduce((sum, run) => sum + run.result.failures, 0);
  for (const run of runs.filter((each) => each.result.failures > 0)) console.error(`FAILED: WORKERS=${run.workers}, ${run.workload}: ${run.result.failureSamples.join('; ')}`);
  await mkdir(new URL('.', RESULTS_FILE), { recursive: true });
  await writeFile(RESULTS_FILE, `${JSON.stringify({ generatedAt: new Date().toISOString(), machine: { node: process.version, cpus: availableParallelism() }, settings: { ...SETTINGS, redisUrl: undefined }, runs, ratios }, null, 2)}\n`);
  console.log(`\nwritten to ${fileURLToPath(RESULTS_FILE)}`);
  return failed > 0 ? 1 : 0;
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  if (exitCodeAfterInterruption() === undefined) console.error(`\nbench failed: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await stopAllChildren();
}
process.exit(exitCodeAfterInterruption() ?? exitCode);
