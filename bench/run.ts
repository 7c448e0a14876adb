// `npm run bench`: the gateway under the nested query, against simulators with 20 ms and then 0 ms
// per upstream call, at 1, 20 and 50 clients, next to a hand-written baseline doing the same
// upstream fan-out on the same simulators; then a row of repeated reads (20 clients, people drawn
// from 50) with the gateway's upstream cache on, which `BENCH_ONLY=repeated-reads` runs alone.
// See bench/README.md.
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/server/config.ts';
import { createDataset } from '../src/simulators/dataset.ts';
import { exitCodeAfterInterruption, stopAllChildren, stopChildrenOnExit } from './support/children.ts';
import { criticalPath, type CriticalPath } from './support/critical-path.ts';
import type { PhaseReport, ScenarioResult } from './support/load.ts';
import { freePorts } from './support/ports.ts';
import { startSimulatorProcess, UPSTREAM_NAMES } from './support/simulators.ts';
import { benchmarkBaseline, benchmarkGateway, benchmarkGatewayRepeatedReads, type GatewayVariant } from './support/subjects.ts';
import { decimal, formatTable, type Cell } from './support/table.ts';
import {
  NESTED_QUERY,
  PERSON_QUERY,
  REPEATED_READS_PEOPLE,
  UPSTREAM_LATENCIES_MS,
  UPSTREAM_LATENCY_MS,
  USERS_PER_QUERY,
  workloadCountsFromEnv,
  type WorkloadCounts,
} from './support/workload.ts';

const REPOSITORY_ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS_DIRECTORY = new URL('results/', import.meta.url);
const RESULTS_FILE = new URL('latest.json', RESULTS_DIRECTORY);
const REPEATED_READS_FILE = new URL('repeated-reads.json', RESULTS_DIRECTORY);

/** Issue 13's goals, as ratios of the gateway to the hand-written baseline. */
const GOALS = { p50Ratio: 1.1, cpuRatio: 1.25, throughputRatio: 0.9, floorRatio: 1.25 } as const;
/**
 * Issue 22's, for the gateway without shared reads, in every row: CPU per query and 20-client
 * throughput against the baseline; and what shared reads cost where nothing is shared (1 client).
 */
const UNSHARED_GOALS = { cpuRatio: 1.25, throughputRatio: 0.9, sharingCostRatio: 1.05 } as const;

// ---- one latency: simulators, then the gateway, then the baseline on the same simulators ----

interface Phase {
  upstreamLatencyMs: number;
  gateway: PhaseReport;
  'gateway unshared': PhaseReport;
  baseline: PhaseReport;
}

async function runLatency(counts: WorkloadCounts, latencyMs: number, connections: number): Promise<Phase> {
  const [gatePort, edgePort, switchPort, gatewayPort] = (await freePorts(4)) as [number, number, number, number];
  const simulators = await startSimulatorProcess({ repositoryRoot: REPOSITORY_ROOT, latencyMs, ports: { gate: gatePort, edge: edgePort, switch: switchPort } });
  try {
    console.log(`${latencyMs} ms upstream latency: gateway rows running`);
    const setting = { repositoryRoot: REPOSITORY_ROOT, upstreamEnv: simulators.env, simulators: simulators.child, counts, latencyMs };
    const gateway = await benchmarkGateway(setting, gatewayPort);
    console.log(`${latencyMs} ms upstream latency: gateway rows without shared reads running`);
    const unshared = await benchmarkGateway(setting, gatewayPort, 'gateway unshared');
    console.log(`${latencyMs} ms upstream latency: baseline rows running`);
    const baseline = await benchmarkBaseline(setting, connections);
    return { upstreamLatencyMs: latencyMs, gateway, 'gateway unshared': unshared, baseline };
  } finally {
    await simulators.child.stop();
  }
}

// ---- the row of repeated reads (issue 23): people drawn at random, the gateway with its cache on ----

/** Its subjects, one after another on the same simulators: the gateway with its upstream cache, without, and the baseline. */
const REPEATED_SUBJECTS = ['gateway cached', 'gateway', 'baseline'] as const satisfies readonly Subject[];
type RepeatedReads = { upstreamLatencyMs: number } & Record<(typeof REPEATED_SUBJECTS)[number], PhaseReport>;

async function runRepeatedReads(counts: WorkloadCounts, connections: number): Promise<RepeatedReads> {
  const latencyMs = UPSTREAM_LATENCY_MS;
  const [gatePort, edgePort, switchPort, gatewayPort] = (await freePorts(4)) as [number, number, number, number];
  const simulators = await startSimulatorProcess({ repositoryRoot: REPOSITORY_ROOT, latencyMs, ports: { gate: gatePort, edge: edgePort, switch: switchPort } });
  try {
    const setting = { repositoryRoot: REPOSITORY_ROOT, upstreamEnv: simulators.env, simulators: simulators.child, counts, latencyMs };
    console.log(`repeated reads, ${latencyMs} ms upstream latency: the gateway with its cache (${process.env['REDIS_URL'] ? 'in REDIS_URL' : 'in its memory'}) running`);
    const cached = await benchmarkGatewayRepeatedReads(setting, gatewayPort, 'gateway cached');
    console.log(`repeated reads, ${latencyMs} ms upstream latency: the gateway without cache running`);
    const uncached = await benchmarkGatewayRepeatedReads(setting, gatewayPort, 'gateway');
    console.log(`repeated reads, ${latencyMs} ms upstream latency: baseline running`);
    const baseline = await benchmarkBaseline(setting, connections, 'repeated reads');
    return { upstreamLatencyMs: latencyMs, 'gateway cached': cached, gateway: uncached, baseline };
  } finally {
    await simulators.child.stop();
  }
}

function printRepeatedReads(reads: RepeatedReads): void {
  console.log(`\nRepeated reads: ${PERSON_QUERY.slice(0, PERSON_QUERY.indexOf('('))}, people drawn at random from ${REPEATED_READS_PEOPLE} (CPU ms/query of the subject process; x: next to the baseline)`);
  const baseline = reads.baseline.rows[0] as ScenarioResult;
  const headers = ['row', 'subject', 'queries', 'failed', 'queries/s', 'p50', 'p99', 'CPU/query', 'CPU simulators', 'upstream calls/query', 'CPU x', 'upstream calls x'];
  const body = REPEATED_SUBJECTS.map((subject): Cell[] => {
    const result = reads[subject].rows[0] as ScenarioResult;
    return [
      ...measuredCells(subject, result, 2),
      `${decimal(subjectCpu(subject, result) / subjectCpu('baseline', baseline), 2)}x`,
      `${decimal(result.upstreamRequests.perQuery / baseline.upstreamRequests.perQuery, 2)}x`,
    ];
  });
  console.log(formatTable(headers, body));
}

function repeatedReadsFailures(reads: RepeatedReads): number {
  return REPEATED_SUBJECTS.reduce((failed, subject) => failed + reportFailures(subject, reads[subject].rows), 0);
}

// ---- report ----

/** The variants of the nested query's rows. */
type NestedVariant = Exclude<GatewayVariant, 'gateway cached'>;
type Subject = GatewayVariant | 'baseline';
const SUBJECTS = ['gateway', 'gateway unshared', 'baseline'] as const satisfies readonly Subject[];

/** CPU ms per query of the process under test (its clock is named after it). */
function subjectCpu(subject: Subject, result: ScenarioResult): number {
  return result.cpuMsPerQuery[subject] ?? Number.NaN;
}

/** One row of every subject; `gateway` stands for the variant being compared (shared reads or not). */
interface RowPair {
  name: string;
  variant: NestedVariant;
  gateway: ScenarioResult;
  baseline: ScenarioResult;
}

function rowPairs(phases: readonly Phase[], variant: NestedVariant): RowPair[] {
  return phases.flatMap((phase) =>
    phase[variant].rows.map((gateway, index) => {
      const baseline = phase.baseline.rows[index];
      if (!baseline || baseline.name !== gateway.name) throw new Error(`the baseline has no row ${gateway.name}`);
      return { name: gateway.name, variant, gateway, baseline };
    }),
  );
}

interface RowRatios {
  row: string;
  variant: NestedVariant;
  queriesPerSecond: number;
  p50: number;
  p99: number;
  cpu: number;
  upstreamCalls: number;
}

function ratiosOf(pair: RowPair): RowRatios {
  const { gateway, baseline } = pair;
  return {
    row: pair.name,
    variant: pair.variant,
    queriesPerSecond: gateway.queriesPerSecond / baseline.queriesPerSecond,
    p50: gateway.latencyMs.p50 / baseline.latencyMs.p50,
    p99: gateway.latencyMs.p99 / baseline.latencyMs.p99,
    cpu: subjectCpu(pair.variant, gateway) / subjectCpu('baseline', baseline),
    upstreamCalls: gateway.upstreamRequests.perQuery / baseline.upstreamRequests.perQuery,
  };
}

interface Goal {
  measure: string;
  value: number;
  goal: string;
  met: boolean;
}

/** The most connections a subject opened to one upstream in one row (or its warm-up). */
function connectionsPerRow(report: PhaseReport): number {
  return Math.max(...[report.warmup, ...report.rows].flatMap((result) => UPSTREAM_NAMES.map((name) => result.connectionsOpened[name])));
}

function goalsOf(pairs: readonly RowPair[], phases: readonly Phase[], path: CriticalPath, connections: number): Goal[] {
  const find = (clients: number, latencyMs: number) => {
    const pair = pairs.find((candidate) => candidate.gateway.clients === clients && candidate.gateway.upstreamLatencyMs === latencyMs);
    if (!pair) throw new Error(`no row of ${clients} clients at ${latencyMs} ms`);
    return pair;
  };
  const single = find(1, UPSTREAM_LATENCY_MS);
  const twenty = find(20, UPSTREAM_LATENCY_MS);
  const cpuRows = [find(1, UPSTREAM_LATENCY_MS), find(20, UPSTREAM_LATENCY_MS), find(1, 0), find(20, 0)];
  const cpuRatio = cpuRows.reduce((sum, pair) => sum + ratiosOf(pair).cpu, 0) / cpuRows.length;
  const calls = single.gateway.upstreamRequests.perQuery;
  const mostConnections = Math.max(...phases.map((phase) => connectionsPerRow(phase.gateway)));
  return [
    {
      measure: `upstream calls/query (expected minimum ${path.minimalRequests.total}, baseline ${decimal(single.baseline.upstreamRequests.perQuery, 1)})`,
      value: calls,
      goal: '= both',
      met: calls === path.minimalRequests.total && calls === single.baseline.upstreamRequests.perQuery,
    },
    { measure: `p50, ${single.name} (x baseline)`, value: ratiosOf(single).p50, goal: `<= ${GOALS.p50Ratio}x`, met: ratiosOf(single).p50 <= GOALS.p50Ratio },
    { measure: 'CPU/query, mean of the 1- and 20-client rows at 20 and 0 ms (x baseline)', value: cpuRatio, goal: `<= ${GOALS.cpuRatio}x`, met: cpuRatio <= GOALS.cpuRatio },
    {
      measure: `queries/s, ${twenty.name} (x baseline)`,
      value: ratiosOf(twenty).queriesPerSecond,
      goal: `>= ${GOALS.throughputRatio}x`,
      met: ratiosOf(twenty).queriesPerSecond >= GOALS.throughputRatio,
    },
    {
      measure: `p50, ${single.name} (x critical-path floor ${path.floorMs} ms)`,
      value: single.gateway.latencyMs.p50 / path.floorMs,
      goal: `<= ${GOALS.floorRatio}x`,
      met: single.gateway.latencyMs.p50 / path.floorMs <= GOALS.floorRatio,
    },
    { measure: 'connections the gateway opened to one upstream in one row', value: mostConnections, goal: `<= ${connections}`, met: mostConnections <= connections },
  ];
}

/** Issue 22's goals: without shared reads, in every row; and sharing free where nothing is shared. */
function unsharedGoalsOf(shared: readonly RowPair[], unshared: readonly RowPair[]): Goal[] {
  const cpuGoals = unshared.map((pair): Goal => {
    const value = ratiosOf(pair).cpu;
    return { measure: `CPU/query without sharing, ${pair.name} (x baseline)`, value, goal: `<= ${UNSHARED_GOALS.cpuRatio}x`, met: value <= UNSHARED_GOALS.cpuRatio };
  });
  const throughputGoals = unshared
    .filter((pair) => pair.gateway.clients === 20)
    .map((pair): Goal => {
      const value = ratiosOf(pair).queriesPerSecond;
      return { measure: `queries/s without sharing, ${pair.name} (x baseline)`, value, goal: `>= ${UNSHARED_GOALS.throughputRatio}x`, met: value >= UNSHARED_GOALS.throughputRatio };
    });
  const sharingCostGoals = shared
    .filter((pair) => pair.gateway.clients === 1)
    .map((pair): Goal => {
      const alone = unshared.find((candidate) => candidate.name === pair.name);
      const value = alone ? subjectCpu('gateway', pair.gateway) / subjectCpu('gateway unshared', alone.gateway) : Number.NaN;
      return { measure: `CPU/query with sharing / without, ${pair.name} (nothing to share)`, value, goal: `<= ${UNSHARED_GOALS.sharingCostRatio}x`, met: value <= UNSHARED_GOALS.sharingCostRatio };
    });
  return [...cpuGoals, ...throughputGoals, ...sharingCostGoals];
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

/** What every table of rows shows of one: its name and subject, queries, latency, CPU and upstream calls (to `callDigits` decimals). */
function measuredCells(subject: Subject, result: ScenarioResult, callDigits: number): Cell[] {
  return [
    result.name,
    subject,
    result.queries,
    result.failures,
    decimal(result.queriesPerSecond),
    decimal(result.latencyMs.p50),
    decimal(result.latencyMs.p99),
    decimal(subjectCpu(subject, result), 2),
    decimal(result.cpuMsPerQuery['simulators'], 2),
    decimal(result.upstreamRequests.perQuery, callDigits),
  ];
}

function printRows(phases: readonly Phase[]): void {
  console.log('\nPer row (latency client side, ms; CPU ms/query of the subject process, user + system)');
  const headers = ['row', 'subject', 'queries', 'failed', 'queries/s', 'p50', 'p99', 'CPU/query', 'CPU simulators', 'upstream calls/query', 'connections opened (gate/edge/switch)'];
  const body = phases.flatMap((phase) =>
    phase.baseline.rows.flatMap((_, index) => SUBJECTS.map((subject): Cell[] => {
      const result = phase[subject].rows[index] as ScenarioResult;
      const opened = result.connectionsOpened;
      return [...measuredCells(subject, result, 1), `${opened.gate}/${opened.edge}/${opened.switch}`];
    })),
  );
  console.log(formatTable(headers, body));
}

function printRatios(ratios: readonly RowRatios[]): void {
  console.log('\nGateway / hand-written baseline, per row, with shared reads and without');
  const headers = ['row', 'subject', 'queries/s', 'p50', 'p99', 'CPU/query', 'upstream calls/query'];
  const ratio = (value: number) => `${decimal(value, 2)}x`;
  console.log(formatTable(headers, ratios.map((row): Cell[] => [row.row, row.variant, ratio(row.queriesPerSecond), ratio(row.p50), ratio(row.p99), ratio(row.cpu), ratio(row.upstreamCalls)])));
}

function printGoals(goals: readonly Goal[]): void {
  console.log('\nGoals');
  const headers = ['measure', 'gateway', 'goal', 'met'];
  console.log(formatTable(headers, goals.map((goal): Cell[] => [goal.measure, decimal(goal.value, 2), goal.goal, goal.met ? 'yes' : 'NO'])));
}

function printFailures(phases: readonly Phase[]): number {
  let failed = 0;
  for (const phase of phases) for (const subject of SUBJECTS) failed += reportFailures(subject, phase[subject].rows);
  return failed;
}

/** The failed queries of one subject's rows, each row's said with its samples. */
function reportFailures(subject: Subject, rows: readonly ScenarioResult[]): number {
  let failed = 0;
  for (const result of rows) {
    failed += result.failures;
    if (result.failures === 0) continue;
    console.error(`\nFAILED: ${subject}, ${result.name}: ${result.failures} of ${result.queries} queries failed, e.g.:`);
    for (const sample of result.failureSamples) console.error(`  ${sample}`);
  }
  return failed;
}

async function writeResults(results: object, file = RESULTS_FILE): Promise<void> {
  await mkdir(RESULTS_DIRECTORY, { recursive: true });
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwritten to ${fileURLToPath(file)}`);
}

// ---- main ----

async function main(): Promise<number> {
  stopChildrenOnExit();
  const counts = workloadCountsFromEnv();
  // The gateway's own setting (the environment's, or its default): the baseline gets as many.
  const connections = loadConfig(process.env).upstreamConnections;
  const path = criticalPath(createDataset(), USERS_PER_QUERY, UPSTREAM_LATENCY_MS);
  console.log(
    `node ${process.version}, ${availableParallelism()} CPUs; ${connections} connections per upstream; warm-up ${counts.warmup}, ` +
      `rows of 1 client ${counts.singleClient}, 20 clients ${counts.twentyClients}, 50 clients ${counts.fiftyClients} queries`,
  );
  // `BENCH_ONLY=repeated-reads`: that row alone, its results in a file of their own.
  if (process.env['BENCH_ONLY'] === 'repeated-reads') {
    const reads = await runRepeatedReads(counts, connections);
    printRepeatedReads(reads);
    const failedQueries = repeatedReadsFailures(reads);
    const machine = { node: process.version, cpus: availableParallelism() };
    await writeResults({ generatedAt: new Date().toISOString(), machine, workload: { ...counts, upstreamConnections: connections }, query: PERSON_QUERY, repeatedReads: reads, failedQueries }, REPEATED_READS_FILE);
    return failedQueries > 0 ? 1 : 0;
  }
  const phases: Phase[] = [];
  for (const latencyMs of UPSTREAM_LATENCIES_MS) phases.push(await runLatency(counts, latencyMs, connections));
  const repeatedReads = await runRepeatedReads(counts, connections);

  const pairs = rowPairs(phases, 'gateway');
  const unshared = rowPairs(phases, 'gateway unshared');
  const ratios = pairs.flatMap((pair, index) => [pair, unshared[index] as RowPair].map(ratiosOf));
  const goals = [...goalsOf(pairs, phases, path, connections), ...unsharedGoalsOf(pairs, unshared)];
  printCriticalPath(path);
  printRows(phases);
  printRatios(ratios);
  printGoals(goals);
  printRepeatedReads(repeatedReads);
  const failedQueries = printFailures(phases) + repeatedReadsFailures(repeatedReads);
  await writeResults({
    generatedAt: new Date().toISOString(),
    machine: { node: process.version, cpus: availableParallelism() },
    workload: { ...counts, usersPerQuery: USERS_PER_QUERY, upstreamConnections: connections },
    query: NESTED_QUERY,
    criticalPath: path,
    phases,
    ratios,
    goals,
    repeatedReads,
    failedQueries,
  });
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
