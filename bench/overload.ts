// `npm run bench:overload`: does the gateway keep its promises far past what it can serve? 50
// clients of the nested query first (the rate it can serve), then 500 of them, while 5 other
// clients send a light query; every answer or refusal timed. See bench/README.md, "Overload".
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { positiveIntegerFromEnv } from './support/env.ts';
import { benchClientKey, startGateway } from './support/gateway.ts';
import { exitCodeAfterInterruption, stopAllChildren, stopChildrenOnExit } from './support/children.ts';
import { freePorts } from './support/ports.ts';
import { readRssBytes } from './support/proc.ts';
import { startSimulatorProcess } from './support/simulators.ts';
import { percentile } from './support/stats.ts';
import { decimal, formatTable, type Cell } from './support/table.ts';
import { NESTED_QUERY, UPSTREAM_LATENCY_MS, USERS_PER_QUERY } from './support/workload.ts';

const REPOSITORY_ROOT = fileURLToPath(new URL('..', import.meta.url));
const SETTINGS = {
  seconds: positiveIntegerFromEnv('BENCH_OVERLOAD_SECONDS', 8),
  heavyClients: positiveIntegerFromEnv('BENCH_OVERLOAD_CLIENTS', 500),
  servedClients: positiveIntegerFromEnv('BENCH_OVERLOAD_SERVED_CLIENTS', 50),
  lightClients: positiveIntegerFromEnv('BENCH_OVERLOAD_LIGHT_CLIENTS', 5),
};
/** The gateway's default REQUEST_DEADLINE_MS, and the slack the issue allows past it. */
const DEADLINE_MS = 10_000;
const SLACK_MS = 2_000;
/** Memory is flat when a second flood leaves the RSS no more than this above the first. */
const GOALS = { throughputRatio: 0.9, lightP99Ms: 1000, rssGrowthMib: 64 } as const;

const HEAVY_CLIENT = benchClientKey('heavy', ['users:read', 'admin']);
const LIGHT_CLIENT = benchClientKey('light', ['users:read', 'admin']);
const LIGHT_QUERY = 'query Light($username: String!) { user(username: $username) { username switchAccount { userId } } }';

type Outcome = 'answered' | 'shed' | 'failed';

interface Sample {
  outcome: Outcome;
  ms: number;
}

/** One POST, timed: answered (200, no errors), shed (503 OVERLOADED, with its Retry-After) or failed. */
async function send(pool: Pool, key: string, body: string, check: (data: unknown) => boolean): Promise<Sample & { retryAfterMs: number }> {
  const startedAt = performance.now();
  try {
    const response = await pool.request({ method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json', 'x-api-key': key }, body });
    const answer = (await response.body.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
    const ms = performance.now() - startedAt;
    if (response.statusCode === 503 && answer.errors?.[0]?.extensions?.code === 'OVERLOADED') {
      return { outcome: 'shed', ms, retryAfterMs: Number(response.headers['retry-after'] ?? 1) * 1000 };
    }
    const answered = response.statusCode === 200 && !answer.errors?.length && check(answer.data);
    return { outcome: answered ? 'answered' : 'failed', ms, retryAfterMs: 0 };
  } catch {
    return { outcome: 'failed', ms: performance.now() - startedAt, retryAfterMs: 0 };
  }
}

/**
 * `clients` closed loops for `seconds`: each sends its next request when the last was answered;
 * a shed one waits what `Retry-After` says first, as a well-behaved client does.
 */
async function runClients(clients: number, seconds: number, request: () => Promise<Sample & { retryAfterMs: number }>): Promise<Sample[]> {
  const samples: Sample[] = [];
  const endAt = performance.now() + seconds * 1000;
  const loop = async () => {
    while (performance.now() < endAt) {
      const sample = await request();
      samples.push(sample);
      if (sample.outcome === 'shed') await new Promise((resolve) => setTimeout(resolve, Math.min(sample.retryAfterMs, endAt - performance.now())));
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  return samples;
}

interface Row {
  name: string;
  requests: number;
  answered: number;
  shed: number;
  failed: number;
  answeredPerSecond: number;
  p50: number;
  p99: number;
  max: number;
}

function rowOf(name: string, samples: readonly Sample[], seconds: number): Row {
  const count = (outcome: Outcome) => samples.filter((sample) => sample.outcome === outcome).length;
  const answeredMs = samples.filter((sample) => sample.outcome === 'answered').map((sample) => sample.ms).sort((a, b) => a - b);
  const allMs = samples.map((sample) => sample.ms);
  return {
    name,
    requests: samples.length,
    answered: count('answered'),
    shed: count('shed'),
    failed: count('failed'),
    answeredPerSecond: count('answered') / seconds,
    p50: percentile(answeredMs, 0.5),
    p99: percentile(answeredMs, 0.99),
    max: allMs.length ? Math.max(...allMs) : Number.NaN,
  };
}

const mib = (bytes: number | undefined) => (bytes === undefined ? Number.NaN : bytes / 2 ** 20);

async function main(): Promise<number> {
  stopChildrenOnExit();
  const { seconds, heavyClients, servedClients, lightClients } = SETTINGS;
  const [gatePort, edgePort, switchPort, gatewayPort] = (await freePorts(4)) as [number, number, number, number];
  const simulators = await startSimulatorProcess({ repositoryRoot: REPOSITORY_ROOT, latencyMs: UPSTREAM_LATENCY_MS, ports: { gate: gatePort, edge: edgePort, switch: switchPort } });
  const apiKeys = JSON.stringify([...JSON.parse(HEAVY_CLIENT.apiKeys), ...JSON.parse(LIGHT_CLIENT.apiKeys)]);
  const gateway = await startGateway({ repositoryRoot: REPOSITORY_ROOT, upstreamEnv: simulators.env, port: gatewayPort, clientKey: { ...HEAVY_CLIENT, apiKeys } });
  // Two pools, as two kinds of client are: the light ones never wait for a connection behind the flood's.
  const openPool = (connections: number) => new Pool(`http://127.0.0.1:${gatewayPort}`, { connections, headersTimeout: 60_000, bodyTimeout: 60_000 });
  const pool = openPool(heavyClients);
  const lightPool = openPool(lightClients);
  const heavy = () =>
    send(pool, HEAVY_CLIENT.key, JSON.stringify({ query: NESTED_QUERY }), (data) => (data as { users?: { edges?: unknown[] } }).users?.edges?.length === USERS_PER_QUERY);
  const username = 'susan.williams';
  const light = () =>
    send(lightPool, LIGHT_CLIENT.key, JSON.stringify({ query: LIGHT_QUERY, variables: { username } }), (data) => (data as { user?: { username?: string } }).user?.username === username);
  try {
    console.log(`warm-up, then ${servedClients} heavy clients for ${seconds} s`);
    // Both kinds of client connected first, as clients already in touch with the gateway are.
    await Promise.all([runClients(5, 3, heavy), runClients(lightClients, 3, light)]);
    const rssBefore = readRssBytes(gateway.pid);
    const served = rowOf(`${servedClients} heavy clients`, await runClients(servedClients, seconds, heavy), seconds);
    const overload = async (label: string) => {
      console.log(`${heavyClients} heavy clients and ${lightClients} light clients for ${seconds} s${label}`);
      const [heavySamples, lightSamples] = await Promise.all([runClients(heavyClients, seconds, heavy), runClients(lightClients, seconds, light)]);
      // Memory once the flood has drained and the heap has had a moment.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      return {
        flood: rowOf(`${heavyClients} heavy clients${label}`, heavySamples, seconds),
        lights: rowOf(`${lightClients} light clients, meanwhile`, lightSamples, seconds),
        rss: readRssBytes(gateway.pid),
      };
    };
    const first = await overload('');
    const second = await overload(', again');
    const after = rowOf('1 heavy client, afterwards', await runClients(1, 2, heavy), 2);
    const { flood, lights } = first;
    const rows = [served, first.flood, first.lights, second.flood, second.lights, after];
    console.log('\nOverload (closed loops; a shed client waits its Retry-After; latency in ms over answered requests, max over all)');
    const headers = ['clients', 'requests', 'answered', 'shed (503)', 'failed', 'answered/s', 'p50', 'p99', 'max'];
    console.log(formatTable(headers, rows.map((row): Cell[] => [row.name, row.requests, row.answered, row.shed, row.failed, decimal(row.answeredPerSecond), decimal(row.p50), decimal(row.p99), decimal(row.max)])));
    const ratio = Math.min(flood.answeredPerSecond, second.flood.answeredPerSecond) / served.answeredPerSecond;
    const worst = Math.max(flood.max, lights.max, second.flood.max, second.lights.max);
    const lightP99 = Math.max(lights.p99, second.lights.p99);
    const failed = [served, flood, lights, second.flood, second.lights, after].reduce((sum, row) => sum + row.failed, 0);
    const growthMib = mib(second.rss) - mib(first.rss);
    const goals: [string, string, string, boolean][] = [
      ['every request answered or shed within the deadline + 2 s (max ms)', decimal(worst), `<= ${DEADLINE_MS + SLACK_MS}`, worst <= DEADLINE_MS + SLACK_MS],
      [`answered heavy queries/s at ${heavyClients} / at ${servedClients} clients`, `${decimal(ratio, 2)}x`, `>= ${GOALS.throughputRatio}x`, ratio >= GOALS.throughputRatio],
      ['light query p99 meanwhile (ms)', decimal(lightP99), `< ${GOALS.lightP99Ms}`, lightP99 < GOALS.lightP99Ms],
      ['light queries shed', String(lights.shed + second.lights.shed), '0', lights.shed + second.lights.shed === 0],
      ['failed requests (neither answered nor shed)', String(failed), '0', failed === 0],
      [`no query shed at ${servedClients} clients`, String(served.shed), '0', served.shed === 0],
      ['answers again afterwards', String(after.answered), '> 0', after.answered > 0 && after.shed === 0],
      [
        'gateway RSS before / after the first / after the second flood (MiB)',
        `${decimal(mib(rssBefore))} / ${decimal(mib(first.rss))} / ${decimal(mib(second.rss))}`,
        `second <= first + ${GOALS.rssGrowthMib}`,
        growthMib <= GOALS.rssGrowthMib,
      ],
    ];
    console.log('\nGoals');
    console.log(formatTable(['measure', 'gateway', 'goal', 'met'], goals.map(([measure, value, goal, met]): Cell[] => [measure, value, goal, met ? 'yes' : 'NO'])));
    return goals.every(([, , , met]) => met) ? 0 : 1;
  } finally {
    await Promise.all([pool.close(), lightPool.close()]);
    await gateway.stop();
  }
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
