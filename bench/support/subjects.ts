// The gateway and the hand-written baseline as one row set each, on simulators already running:
// shared by `npm run bench` and `npm run bench:peers`, so that both measure them the same way.
import { parseBaselineReportLine } from './baseline-report.ts';
import { describeExit, startChild, type ManagedChild } from './children.ts';
import { ownCpuClock, processTreeCpuClock } from './cpu.ts';
import { benchClientKey, startGateway, startNodeFlags } from './gateway.ts';
import { GraphQLClient } from './graphql-client.ts';
import { runPhase, type PhaseReport, type QueryTask } from './load.ts';
import { SimulatorCounters, type UpstreamEnv } from './simulators.ts';
import { loadPlans, NESTED_QUERY, PERSON_QUERY, personDraws, repeatedReadsPlans, USERS_PER_QUERY, workloadCountsAsEnv, type WorkloadCounts } from './workload.ts';

/** The baseline's phase, warm-up included; far above what the default counts take. */
const BASELINE_TIMEOUT_MS = 5 * 60_000;

/**
 * The gateway authenticates its clients as in production: the bench is one admin client with an
 * API key (a fresh one each run; only its hash is configured).
 */
export const BENCH_CLIENT = benchClientKey('bench', ['users:read', 'admin']);

/** Where the measured subjects run: the simulators (already started) and the workload. */
export interface SubjectSetting {
  repositoryRoot: string;
  upstreamEnv: UpstreamEnv;
  simulators: ManagedChild;
  counts: WorkloadCounts;
  latencyMs: number;
}

/** The rows of a GraphQL server already answering (the nested query's, unless `plans` say), its CPU read from its process tree. */
export function runServerPhase(
  setting: SubjectSetting,
  server: { name: string; pid: number },
  task: QueryTask,
  plans: ReturnType<typeof loadPlans> = loadPlans(setting.counts, setting.latencyMs),
): Promise<PhaseReport> {
  const measuring = {
    counters: new SimulatorCounters(setting.upstreamEnv),
    cpuClocks: { [server.name]: processTreeCpuClock(server.pid), simulators: processTreeCpuClock(setting.simulators.pid), driver: ownCpuClock },
  };
  return runPhase(plans, task, measuring);
}

/** The nested query through the gateway's client; throws unless the answer has no errors and all its edges. */
export function nestedQueryTask(client: GraphQLClient): QueryTask {
  return async () => {
    const answer = await client.postWithoutErrors(NESTED_QUERY);
    const edges = (answer.data?.['users'] as { edges?: unknown[] } | undefined)?.edges?.length;
    if (edges !== USERS_PER_QUERY) throw new Error(`expected ${USERS_PER_QUERY} edges, got ${edges ?? 'none'}`);
  };
}

/** One person of the repeated-reads row, drawn at random; throws unless the answer has no errors and the person. */
export function personQueryTask(client: GraphQLClient): QueryTask {
  const draw = personDraws();
  return async () => {
    const username = draw();
    const answer = await client.postWithoutErrors(PERSON_QUERY, { username });
    if (!answer.data?.['user']) throw new Error(`expected ${username}, got no user`);
  };
}

/** How long the cached variant keeps a read: far past a row, so that the row measures reads the cache answers. */
const BENCH_CACHE_TTL_MS = '60000';

/**
 * The gateway as each table shows it: with shared reads (its default) and without
 * (`UPSTREAM_SHARE_READS=false`), as when concurrent clients ask for different things; and with
 * the upstream cache on (issue 23), in the Redis of `REDIS_URL` when the bench is given one, as
 * replicas share it, else in its memory.
 */
export const GATEWAY_VARIANTS = {
  gateway: {},
  'gateway unshared': { UPSTREAM_SHARE_READS: 'false' },
  'gateway cached': { UPSTREAM_CACHE_TTL_MS: BENCH_CACHE_TTL_MS, ...(process.env['REDIS_URL'] ? { REDIS_URL: process.env['REDIS_URL'] } : {}) },
} as const satisfies Record<string, Readonly<Record<string, string>>>;
export type GatewayVariant = keyof typeof GATEWAY_VARIANTS;

/** The gateway process, its client, and what to do with them before it is stopped. */
export async function withGateway<T>(
  setting: SubjectSetting,
  port: number,
  use: (gateway: ManagedChild, client: GraphQLClient) => Promise<T>,
  variant: GatewayVariant = 'gateway',
): Promise<T> {
  const env = GATEWAY_VARIANTS[variant];
  const gateway = await startGateway({ repositoryRoot: setting.repositoryRoot, upstreamEnv: setting.upstreamEnv, port, clientKey: BENCH_CLIENT, env });
  const client = new GraphQLClient(port, { headers: { 'x-api-key': BENCH_CLIENT.key } });
  try {
    const answer = await client.postWithoutErrors('{ __typename }');
    if (answer.data?.['__typename'] !== 'Query') throw new Error(`gateway answered ${JSON.stringify(answer)} to { __typename }`);
    return await use(gateway, client);
  } finally {
    await client.close();
    // Stopped before the next subject runs, so that the two never share the CPU.
    await gateway.stop();
  }
}

export function benchmarkGateway(setting: SubjectSetting, port: number, variant: GatewayVariant = 'gateway'): Promise<PhaseReport> {
  return withGateway(setting, port, (gateway, client) => runServerPhase(setting, { name: variant, pid: gateway.pid }, nestedQueryTask(client)), variant);
}

/** The row of repeated reads through the gateway. */
export function benchmarkGatewayRepeatedReads(setting: SubjectSetting, port: number, variant: GatewayVariant): Promise<PhaseReport> {
  const plans = repeatedReadsPlans(setting.counts, setting.latencyMs);
  return withGateway(setting, port, (gateway, client) => runServerPhase(setting, { name: variant, pid: gateway.pid }, personQueryTask(client), plans), variant);
}

/** The hand-written client (bench/baseline.ts) in a child process of its own, on the same simulators: the nested query's rows, or the repeated reads'. */
export async function benchmarkBaseline(setting: SubjectSetting, connections: number, workload: 'nested' | 'repeated reads' = 'nested'): Promise<PhaseReport> {
  const baseline = startChild({
    name: 'baseline',
    command: process.execPath,
    args: [...startNodeFlags(setting.repositoryRoot), 'bench/baseline.ts'],
    cwd: setting.repositoryRoot,
    env: {
      ...setting.upstreamEnv,
      ...workloadCountsAsEnv(setting.counts),
      BENCH_UPSTREAM_LATENCY_MS: String(setting.latencyMs),
      BENCH_UPSTREAM_CONNECTIONS: String(connections),
      BENCH_SIMULATORS_PID: String(setting.simulators.pid),
      BENCH_WORKLOAD: workload,
    },
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
