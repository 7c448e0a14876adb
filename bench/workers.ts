// `npm run bench:workers`: queries/s of the gateway with WORKERS=1 and WORKERS=2, on a query that
// needs no upstream (`{ __typename }`: the gateway's own CPU is all there is) and on the nested
// query of `npm run bench` (20 clients, 0 ms: the simulators and the load driver share the cores
// too). See bench/README.md, "Workers".
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { exitCodeAfterInterruption, stopAllChildren, stopChildrenOnExit, type ManagedChild } from './support/children.ts';
import { ownCpuClock, processTreeCpuClock } from './support/cpu.ts';
import { positiveIntegerFromEnv } from './support/env.ts';
import { startGateway } from './support/gateway.ts';
import { GraphQLClient } from './support/graphql-client.ts';
import { measureScenario, type QueryTask, type ScenarioResult } from './support/load.ts';
import { freePorts } from './support/ports.ts';
import { SimulatorCounters, startSimulatorProcess, type SimulatorProcess } from './support/simulators.ts';
import { percentile } from './support/stats.ts';
import { BENCH_CLIENT, nestedQueryTask } from './support/subjects.ts';
import { decimal, formatTable, type Cell } from './support/table.ts';

const REPOSITORY_ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS_FILE = new URL('results/workers.json', import.meta.url);

const SETTINGS = {
  clients: positiveIntegerFromEnv('BENCH_WORKERS_CLIENTS', 20),
  rounds: positiveIntegerFromEnv('BENCH_WORKERS_ROUNDS', 3),
  typenameQueries: positiveIntegerFromEnv('BENCH_WORKERS_TYPENAME_QUERIES', 20_000),
  nestedQueries: positiveIntegerFromEnv('BENCH_WORKERS_NESTED_QUERIES', 600),
};
const REDIS_URL = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';
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
  /**
   * Sent by every client right before each round, unmeasured: a gateway that idled while the other
   * was measured has forgotten how fast queries end, and its admission sheds the first of a burst.
   */
  leadInQueries: number;
  task: (client: GraphQLClient) => QueryTask;
  /** The gateway's settings for it, on top of WORKERS and REDIS_URL. */
  env: Record<string, string>;
}

const WORKLOADS: readonly Workload[] = [
  { name: '{ __typename }', queries: SETTINGS.typenameQueries, warmupQueries: 2_000, leadInQueries: 2_000, task: typenameTask, env: {} },
  { name: 'nested, 0 ms', queries: SETTINGS.nestedQueries, warmupQueries: 40, leadInQueries: 160, task: nestedQueryTask, env: {} },
  // As when clients ask for different things: no read shared, in one process or in two.
  {
    name: 'nested, 0 ms, nothing shared',
    queries: SETTINGS.nestedQueries,
    warmupQueries: 40,
    leadInQueries: 160,
    task: nestedQueryTask,
    env: { UPSTREAM_SHARE_READS: 'false' },
  },
];

/** One gateway under test, warmed up, measured round after round. */
interface Subject {
  workers: number;
  gateway: ManagedChild;
  client: GraphQLClient;
  rounds: ScenarioResult[];
}

interface Row {
  workload: string;
  workers: number;
  rounds: ScenarioResult[];
  /** The round that served the most queries a second: the others lost CPU to whatever else ran. */
  best: ScenarioResult;
}

const plan = (name: string, clients: number, queries: number) => ({ name, upstreamLatencyMs: 0, clients, queriesPerClient: Math.ceil(queries / clients) });

async function startSubject(simulators: SimulatorProcess, workload: Workload, workers: number): Promise<Subject> {
  const [port] = (await freePorts(1)) as [number];
  const gateway = await startGateway({
    repositoryRoot: REPOSITORY_ROOT,
    upstreamEnv: simulators.env,
    port,
    clientKey: BENCH_CLIENT,
    // Redis for both, so that only the number of processes differs.
    env: { WORKERS: String(workers), REDIS_URL, ...workload.env },
  });
  return { workers, gateway, client: new GraphQLClient(port, { headers: { 'x-api-key': BENCH_CLIENT.key } }), rounds: [] };
}

/**
 * Both gateways of one workload at once (the idle one costs nothing), each warmed up, then measured
 * in turn, round after round: whatever else the machine runs meanwhile falls on both alike.
 */
async function runWorkload(simulators: SimulatorProcess, workload: Workload): Promise<Row[]> {
  const subjects: Subject[] = [];
  try {
    for (const workers of WORKER_COUNTS) subjects.push(await startSubject(simulators, workload, workers));
    const measure = (subject: Subject, name: string, clients: number, queries: number) =>
      measureScenario(plan(name, clients, queries), workload.task(subject.client), {
        counters: new SimulatorCounters(simulators.env),
        cpuClocks: { gateway: processTreeCpuClock(subject.gateway.pid), simulators: processTreeCpuClock(simulators.child.pid), driver: ownCpuClock },
      });
    for (const subject of subjects) {
      // A worker's admission measures how fast its budget frees up: a burst before any query ended would be shed.
      const warmup = await measure(subject, 'warm-up', subject.workers, workload.warmupQueries);
      if (warmup.failures > 0) throw new Error(`${workload.name}, WORKERS=${subject.workers}: the warm-up failed: ${warmup.failureSamples.join('; ')}`);
    }
    for (let round = 1; round <= SETTINGS.rounds; round++) {
      for (const subject of subjects) {
        console.log(`${workload.name}, WORKERS=${subject.workers}: round ${round} of ${SETTINGS.rounds}`);
        await measure(subject, 'lead-in', SETTINGS.clients, workload.leadInQueries);
        subject.rounds.push(await measure(subject, workload.name, SETTINGS.clients, workload.queries));
      }
    }
    return subjects.map((subject) => ({
      workload: workload.name,
      workers: subject.workers,
      rounds: subject.rounds,
      best: subject.rounds.reduce((best, round) => (round.queriesPerSecond > best.queriesPerSecond ? round : best)),
    }));
  } finally {
    for (const subject of subjects) {
      await subject.client.close();
      await subject.gateway.stop();
    }
  }
}

function printRows(rows: readonly Row[]): void {
  console.log(
    `\nPer workload and WORKERS: queries/s of each round, then the best round's (${SETTINGS.clients} clients; latency client side, ms; ` +
      "CPU ms/query: the gateway's processes, the simulators, the load driver)",
  );
  const headers = ['query', 'WORKERS', 'queries/s by round', 'failed', 'best queries/s', 'p50', 'p99', 'CPU gateway', 'CPU simulators', 'CPU driver', 'upstream calls/query'];
  const body = rows.map((row): Cell[] => {
    const { best } = row;
    return [
      row.workload,
      row.workers,
      row.rounds.map((round) => decimal(round.queriesPerSecond)).join(', '),
      row.rounds.reduce((sum, round) => sum + round.failures, 0),
      decimal(best.queriesPerSecond),
      decimal(best.latencyMs.p50, 2),
      decimal(best.latencyMs.p99, 2),
      decimal(best.cpuMsPerQuery['gateway'], 3),
      decimal(best.cpuMsPerQuery['simulators'], 3),
      decimal(best.cpuMsPerQuery['driver'], 3),
      decimal(best.upstreamRequests.perQuery, 1),
    ];
  });
  console.log(formatTable(headers, body));
}

interface Ratio {
  workload: string;
  /** Of the best rounds. */
  best: number;
  /** Of the rounds run back to back, the median. */
  median: number;
  goal: string;
  met: boolean | undefined;
}

function ratiosOf(rows: readonly Row[]): Ratio[] {
  return WORKLOADS.map((workload, index) => {
    const [one, two] = WORKER_COUNTS.map((workers) => rows.find((row) => row.workers === workers && row.workload === workload.name)) as [Row, Row];
    const best = two.best.queriesPerSecond / one.best.queriesPerSecond;
    const median = percentile(
      one.rounds.map((round, at) => (two.rounds[at]?.queriesPerSecond ?? Number.NaN) / round.queriesPerSecond).sort((a, b) => a - b),
      0.5,
    );
    // Only the query without upstream calls measures the gateway alone: the nested one is reported.
    return index === 0 ? { workload: workload.name, best, median, goal: `>= ${GOAL_RATIO}x`, met: best >= GOAL_RATIO } : { workload: workload.name, best, median, goal: 'reported', met: undefined };
  });
}

function printRatios(ratios: readonly Ratio[]): void {
  console.log('\nqueries/s, WORKERS=2 / WORKERS=1');
  const ratio = (value: number) => `${decimal(value, 2)}x`;
  const rows = ratios.map((each): Cell[] => [each.workload, ratio(each.best), ratio(each.median), each.goal, each.met === undefined ? '-' : each.met ? 'yes' : 'NO']);
  console.log(formatTable(['query', 'best rounds', 'median of rounds', 'goal (best)', 'met'], rows));
}

async function main(): Promise<number> {
  stopChildrenOnExit();
  console.log(
    `node ${process.version}, ${availableParallelism()} CPUs; ${SETTINGS.clients} clients; ${SETTINGS.rounds} rounds of ` +
      `${SETTINGS.typenameQueries} { __typename } and ${SETTINGS.nestedQueries} nested queries`,
  );
  const [gatePort, edgePort, switchPort] = (await freePorts(3)) as [number, number, number];
  const simulators = await startSimulatorProcess({ repositoryRoot: REPOSITORY_ROOT, latencyMs: 0, ports: { gate: gatePort, edge: edgePort, switch: switchPort } });
  const rows: Row[] = [];
  try {
    for (const workload of WORKLOADS) rows.push(...(await runWorkload(simulators, workload)));
  } finally {
    await simulators.child.stop();
  }
  printRows(rows);
  const ratios = ratiosOf(rows);
  printRatios(ratios);
  const failed = rows.flatMap((row) => row.rounds.filter((round) => round.failures > 0).map((round) => ({ row, round })));
  for (const { row, round } of failed) console.error(`FAILED: WORKERS=${row.workers}, ${row.workload}: ${round.failureSamples.join('; ')}`);
  await mkdir(new URL('.', RESULTS_FILE), { recursive: true });
  const results = { generatedAt: new Date().toISOString(), machine: { node: process.version, cpus: availableParallelism() }, settings: SETTINGS, rows, ratios };
  await writeFile(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwritten to ${fileURLToPath(RESULTS_FILE)}`);
  return failed.length > 0 ? 1 : 0;
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
