// `npm run bench`: the gateway under the nested query, against simulators with 20 ms per upstream
// call, next to a hand-written baseline doing the same upstream fan-out. See bench/README.md.
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { createDataset } from '../src/simulators/dataset.ts';
import { parseBaselineReportLine, type BaselineReport } from './support/baseline-report.ts';
import { describeExit, exitCodeAfterInterruption, startChild, stopAllChildren, stopChildrenOnExit, type ManagedChild } from './support/children.ts';
import { ownCpuClock, processTreeCpuClock } from './support/cpu.ts';
import { criticalPath, type CriticalPath } from './support/critical-path.ts';
import { benchClientKey, startGateway, startNodeFlags } from './support/gateway.ts';
import { measureScenario, runLoad, type QueryTask, type ScenarioPair, type ScenarioResult } from './support/load.ts';
import { freePorts } from './support/ports.ts';
import { SimulatorCounters, startSimulatorProcess, type UpstreamEnv } from './support/simulators.ts';
import { decimal, formatTable, type Cell } from './support/table.ts';
import {
  CONCURRENT_CLIENTS,
  loadPlans,
  NESTED_QUERY,
  UPSTREAM_LATENCY_MS,
  USERS_PER_QUERY,
  workloadCountsAsEnv,
  workloadCountsFromEnv,
  type WorkloadCounts,
} from './support/workload.ts';

const REPOSITORY_ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS_DIRECTORY = new URL('results/', import.meta.url);
const RESULTS_FILE = new URL('latest.json', RESULTS_DIRECTORY);

const QUERY_TIMEOUT_MS = 30_000;
/** Both baseline scenarios, warm-up included; far above what the default counts take. */
const BASELINE_TIMEOUT_MS = 5 * 60_000;

const GOALS = { cpuRatio: 1.5, floorRatio: 1.25 } as const;

// ---- the gateway process and its client ----

/**
 * The gateway authenticates its clients as in production: the bench is one admin client with an
 * API key (a fresh one each run; only its hash is configured).
 */
const BENCH_CLIENT = benchClientKey('bench', ['users:read', 'admin']);

function createGatewayClient(port: number): Pool {
  return new Pool(`http://127.0.0.1:${port}`, {
    connections: CONCURRENT_CLIENTS,
    keepAliveTimeout: 30_000,
    headersTimeout: QUERY_TIMEOUT_MS,
    bodyTimeout: QUERY_TIMEOUT_MS,
  });
}

interface GraphQLAnswer {
  data?: { __typename?: string; users?: { edges?: unknown[] } } | null;
  errors?: { message: string }[];
}

async function postGraphQL(client: Pool, query: string): Promise<GraphQLAnswer> {
  const response = await client.request({
    method: 'POST',
    path: '/graphql',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'x-api-key': BENCH_CLIENT.key },
    body: JSON.stringify({ query }),
  });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`gateway answered ${response.statusCode}: ${text.slice(0, 300)}`);
  const answer = JSON.parse(text) as GraphQLAnswer;
  if (answer.errors?.length) throw new Error(`GraphQL errors: ${answer.errors.map((error) => error.message).join('; ')}`);
  return answer;
}

async function checkGatewayAnswers(client: Pool): Promise<void> {
  const answer = await postGraphQL(client, '{ __typename }');
  if (answer.data?.__typename !== 'Query') throw new Error(`gateway answered ${JSON.stringify(answer)} to { __typename }`);
}

function nestedQueryTask(client: Pool): QueryTask {
  return async () => {
    const answer = await postGraphQL(client, NESTED_QUERY);
    const edges = answer.data?.users?.edges?.length;
    if (edges !== USERS_PER_QUERY) throw new Error(`expected ${USERS_PER_QUERY} edges, got ${edges ?? 'none'}`);
  };
}

async function benchmarkGateway(
  upstreamEnv: UpstreamEnv,
  simulators: ManagedChild,
  counts: WorkloadCounts,
  port: number,
): Promise<ScenarioPair> {
  const gateway = await startGateway({ repositoryRoot: REPOSITORY_ROOT, upstreamEnv, port, clientKey: BENCH_CLIENT });
  const client = createGatewayClient(port);
  try {
    await checkGatewayAnswers(client);
    const plans = loadPlans(counts);
    const task = nestedQueryTask(client);
    const warmup = await runLoad(plans.warmup, task);
    if (warmup.failures > 0) throw new Error(`gateway warm-up: ${warmup.failures} queries failed: ${warmup.failureSamples.join('; ')}`);
    const measuring = {
      counters: new SimulatorCounters(upstreamEnv),
      cpuClocks: { gateway: processTreeCpuClock(gateway.pid), simulators: processTreeCpuClock(simulators.pid), driver: ownCpuClock },
    };
    const singleClient = await measureScenario(plans.singleClient, task, measuring);
    const concurrent = await measureScenario(plans.concurrent, task, measuring);
    return { singleClient, concurrent };
  } finally {
    await client.close();
    // Stopped before the baseline runs, so that the two never share the CPU.
    await gateway.stop();
  }
}

// ---- the baseline process ----

async function benchmarkBaseline(upstreamEnv: UpstreamEnv, simulators: ManagedChild, counts: WorkloadCounts): Promise<BaselineReport> {
  const baseline = startChild({
    name: 'baseline',
    command: process.execPath,
    args: [...startNodeFlags(REPOSITORY_ROOT), 'bench/baseline.ts'],
    cwd: REPOSITORY_ROOT,
    env: { ...upstreamEnv, ...workloadCountsAsEnv(counts), BENCH_SIMULATORS_PID: String(simulators.pid) },
  });
  try {
    const report = await baseline.waitForStdout(parseBaselineReportLine, 'report', BASELINE_TIMEOUT_MS);
    const exit = await baseline.exited;
    if (exit.code !== 0) throw new Error(`baseline exited with ${describeExit(exit)}\n${baseline.outputTail()}`);
    return report;
  } finally {
    await baseline.stop();
  }
}

// ---- report ----

interface Comparison {
  measure: string;
  gateway: number;
  reference: number;
  ratio: number;
  /** the largest acceptable ratio, if the team set one */
  goal: number | undefined;
}

type Subject = 'gateway' | 'baseline';

/** CPU ms per query of the process under test (its clock is named after it). */
function subjectCpu(subject: Subject, result: ScenarioResult): number {
  return result.cpuMsPerQuery[subject] ?? Number.NaN;
}

function compare(gateway: ScenarioPair, baseline: BaselineReport, path: CriticalPath): Comparison[] {
  const { singleClient: single, concurrent } = gateway;
  const row = (measure: string, gatewayValue: number, reference: number, goal: number | undefined): Comparison => ({
    measure,
    gateway: gatewayValue,
    reference,
    ratio: gatewayValue / reference,
    goal,
  });
  return [
    row('CPU ms/query, 1 client (vs baseline)', subjectCpu('gateway', single), subjectCpu('baseline', baseline.singleClient), GOALS.cpuRatio),
    row(
      `CPU ms/query, ${concurrent.clients} clients (vs baseline)`,
      subjectCpu('gateway', concurrent),
      subjectCpu('baseline', baseline.concurrent),
      GOALS.cpuRatio,
    ),
    row('p50 ms, 1 client (vs floor)', single.latencyMs.p50, path.floorMs, GOALS.floorRatio),
    row('p50 ms, 1 client (vs baseline p50)', single.latencyMs.p50, baseline.singleClient.latencyMs.p50, undefined),
  ];
}

function printCriticalPath(path: CriticalPath): void {
  const requests = path.minimalRequests;
  console.log(`\nCritical path (first ${path.users} gate users, ${path.latencyPerLevelMs} ms added to every upstream call)`);
  console.log(`  dependent upstream levels: ${path.levels}    floor: ${path.floorMs} ms`);
  console.log(`  derived: ${path.explanation}`);
  console.log(
    `  expected minimal upstream requests/query: ${requests.total} (gate ${requests.gate}, edge ${requests.edge}, switch ${requests.switch})`,
  );
}

interface LabelledResult {
  subject: Subject;
  result: ScenarioResult;
}

function label({ subject, result }: LabelledResult): string {
  return `${subject}, ${result.name}`;
}

function labelled(subject: Subject, pair: ScenarioPair): LabelledResult[] {
  return [
    { subject, result: pair.singleClient },
    { subject, result: pair.concurrent },
  ];
}

function printLatencyTable(rows: readonly LabelledResult[], path: CriticalPath): void {
  console.log('\nLatency, client side (ms) and throughput');
  const headers = ['scenario', 'queries', 'failed', 'p50', 'p90', 'p99', 'max', 'queries/s', 'p50/floor'];
  const body = rows.map((row): Cell[] => [
    label(row),
    row.result.queries,
    row.result.failures,
    decimal(row.result.latencyMs.p50),
    decimal(row.result.latencyMs.p90),
    decimal(row.result.latencyMs.p99),
    decimal(row.result.latencyMs.max),
    decimal(row.result.queriesPerSecond),
    row.result.clients === 1 ? decimal(row.result.latencyMs.p50 / path.floorMs, 2) : '-',
  ]);
  console.log(formatTable(headers, body));
}

function printCostTable(rows: readonly LabelledResult[], path: CriticalPath): void {
  console.log('\nCost per query (CPU ms: user + system)');
  const headers = ['scenario', 'upstream req/query', 'expected min', 'CPU gateway or baseline', 'CPU simulators', 'CPU bench driver'];
  const body = rows.map((row): Cell[] => [
    label(row),
    decimal(row.result.upstreamRequests.perQuery, 1),
    path.minimalRequests.total,
    decimal(subjectCpu(row.subject, row.result), 2),
    decimal(row.result.cpuMsPerQuery['simulators'], 2),
    // The baseline drives itself: its own CPU is all there is.
    decimal(row.result.cpuMsPerQuery['driver'], 2),
  ]);
  console.log(formatTable(headers, body));
}

function printComparison(comparisons: readonly Comparison[]): void {
  console.log('\nGateway vs reference');
  const headers = ['measure', 'gateway', 'reference', 'ratio', 'goal', 'met'];
  const body = comparisons.map((comparison): Cell[] => [
    comparison.measure,
    decimal(comparison.gateway, 2),
    decimal(comparison.reference, 2),
    `${decimal(comparison.ratio, 2)}x`,
    comparison.goal === undefined ? '-' : `<= ${comparison.goal}x`,
    comparison.goal === undefined ? '-' : comparison.ratio <= comparison.goal ? 'yes' : 'NO',
  ]);
  console.log(formatTable(headers, body));
}

function printFailures(rows: readonly LabelledResult[]): void {
  for (const row of rows) {
    if (row.result.failures === 0) continue;
    console.error(`\nFAILED: ${label(row)}: ${row.result.failures} of ${row.result.queries} queries failed, e.g.:`);
    for (const sample of row.result.failureSamples) console.error(`  ${sample}`);
  }
}

async function writeResults(results: object): Promise<void> {
  await mkdir(RESULTS_DIRECTORY, { recursive: true });
  await writeFile(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwritten to ${fileURLToPath(RESULTS_FILE)}`);
}

// ---- main ----

async function main(): Promise<number> {
  stopChildrenOnExit();
  const counts = workloadCountsFromEnv();
  const path = criticalPath(createDataset(), USERS_PER_QUERY, UPSTREAM_LATENCY_MS);
  console.log(
    `node ${process.version}, ${availableParallelism()} CPUs; warm-up ${counts.warmup}, ` +
      `1 client ${counts.singleClient}, ${CONCURRENT_CLIENTS} clients ${counts.concurrent} queries`,
  );

  const [gatePort, edgePort, switchPort, gatewayPort] = (await freePorts(4)) as [number, number, number, number];
  const simulators = await startSimulatorProcess({
    repositoryRoot: REPOSITORY_ROOT,
    latencyMs: UPSTREAM_LATENCY_MS,
    ports: { gate: gatePort, edge: edgePort, switch: switchPort },
  });
  console.log('simulators up; gateway scenarios running');
  const gateway = await benchmarkGateway(simulators.env, simulators.child, counts, gatewayPort);
  console.log('baseline scenarios running');
  const baseline = await benchmarkBaseline(simulators.env, simulators.child, counts);

  const rows = [...labelled('gateway', gateway), ...labelled('baseline', baseline)];
  const comparisons = compare(gateway, baseline, path);
  printCriticalPath(path);
  printLatencyTable(rows, path);
  printCostTable(rows, path);
  printComparison(comparisons);
  const failedQueries = rows.reduce((sum, { result }) => sum + result.failures, 0);
  await writeResults({
    generatedAt: new Date().toISOString(),
    machine: { node: process.version, cpus: availableParallelism() },
    workload: { ...counts, concurrentClients: CONCURRENT_CLIENTS, usersPerQuery: USERS_PER_QUERY, upstreamLatencyMs: UPSTREAM_LATENCY_MS },
    query: NESTED_QUERY,
    criticalPath: path,
    gateway,
    baseline,
    comparisons,
    failedQueries,
  });
  printFailures(rows);
  return failedQueries > 0 ? 1 : 0;
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  // After Ctrl-C, errors are only the echo of the children being stopped.
  if (exitCodeAfterInterruption() === undefined) {
    console.error(`\nbench failed: ${error instanceof Error ? error.message : String(error)}`);
  }
} finally {
  await stopAllChildren();
}
process.exit(exitCodeAfterInterruption() ?? exitCode);
