// `npm run bench:overload`: does the gateway keep its promises far past what it can serve? 50
// clients of the nested query first (the rate it can serve), then 500 of them, while 5 other
// clients send a light query; every answer or refusal timed. See bench/README.md, "Overload".
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { positiveIntegerFromEnv, requiredEnv } from './support/env.ts';
import { benchClientKey, startGateway } from './support/gateway.ts';
import { exitCodeAfterInterruption, startChild, stopAllChildren, stopChildrenOnExit } from './support/children.ts';
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
const FAILURE_PAUSE_MS = 100;
/** Memory is flat when a second flood leaves the RSS no more than this above the first. */
const GOALS = { throughputRatio: 0.9, lightP99Ms: 1000, rssGrowthMib: 64 } as const;

const HEAVY_CLIENT = benchClientKey('heavy', ['users:read', 'admin']);
const LIGHT_CLIENT = benchClientKey('light', ['users:read', 'admin']);
const LIGHT_QUERY = 'query Light($username: String!) { user(username: $username) { username switchAccount { userId } } }';

type Outcome = 'answered' | 'shed' | 'failed';

interface Sample {
  outcome: Outcome;
  ms: number;
  /** when it was sent (`Date.now()`), comparable across the bench's processes */
  sentAt: number;
}

/** One POST, timed: answered (200, no errors), shed (503 OVERLOADED, with its Retry-After) or failed. */
async function send(pool: Pool, key: string, body: string, check: (data: unknown) => boolean): Promise<Sample & { retryAfterMs: number }> {
  const startedAt = performance.now();
  const sentAt = Date.now();
  try {
    const response = await pool.request({ method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json', 'x-api-key': key }, body });
    const answer = (await response.body.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
    const ms = performance.now() - startedAt;
    if (response.statusCode === 503 && answer.errors?.[0]?.extensions?.code === 'OVERLOADED') {
      return { outcome: 'shed', ms, sentAt, retryAfterMs: Number(response.headers['retry-after'] ?? 1) * 1000 };
    }
    const answered = response.statusCode === 200 && !answer.errors?.length && check(answer.data);
    return { outcome: answered ? 'answered' : 'failed', ms, sentAt, retryAfterMs: 0 };
  } catch {
    return { outcome: 'failed', ms: performance.now() - startedAt, sentAt, retryAfterMs: 0 };
  }
}

/**
 * `clients` closed loops until `done()`: each sends its next request when the last was answered.
 */
async function runClientsUntil(clients: number, done: () => boolean, request: () => Promise<Sample & { retryAfterMs: number }>): Promise<Sample[]> {
  const samples: Sample[] = [];
  const loop = async () => {
    while (!done()) {
      const sample = await request();
      samples.push(sample);
      // As well-behaved clients do: after a 503 what Retry-After says, after a failure a moment.
      const pauseMs = sample.outcome === 'shed' ? sample.retryAfterMs : sample.outcome === 'failed' ? FAILURE_PAUSE_MS : 0;
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  return samples;
}

function runClients(clients: number, seconds: number, request: () => Promise<Sample & { retryAfterMs: number }>): Promise<Sample[]> {
  const endAt = performance.now() + seconds * 1000;
  return runClientsUntil(clients, () => performance.now() >= endAt, request);
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

const LIGHT_READY = 'LIGHT_READY';
/** A light client's sample as the light process reports it: when sent, ms, outcome. */
type CompactSample = [number, number, Outcome];
const LIGHT_REPORT = 'LIGHT_REPORT ';

const lightRequest = (pool: Pool, key: string) => {
  const username = 'susan.williams';
  const body = JSON.stringify({ query: LIGHT_QUERY, variables: { username } });
  return () => send(pool, key, body, (data) => (data as { user?: { username?: string } }).user?.username === username);
};

/**
 * The light clients, in a process of their own (`BENCH_OVERLOAD_ROLE=light`), as separate clients
 * are: the flood's 500 loops in the driver never delay their sending or their timing. They connect,
 * say so, and send until SIGUSR2, then print every sample.
 */
async function lightClientsMain(): Promise<number> {
  const pool = new Pool(requiredEnv('BENCH_OVERLOAD_URL'), { connections: SETTINGS.lightClients, headersTimeout: 60_000, bodyTimeout: 60_000 });
  const light = lightRequest(pool, requiredEnv('BENCH_OVERLOAD_LIGHT_KEY'));
  let stopped = false;
  process.on('SIGUSR2', () => {
    stopped = true;
  });
  await runClients(SETTINGS.lightClients, 2, light);
  console.log(LIGHT_READY);
  const samples = await runClientsUntil(SETTINGS.lightClients, () => stopped, light);
  const compact = samples.map((sample): CompactSample => [sample.sentAt, Math.round(sample.ms * 10) / 10, sample.outcome]);
  // Written whole before the process exits: a pipe may take it in several writes.
  await new Promise<void>((resolve) => process.stdout.write(`${LIGHT_REPORT}${JSON.stringify(compact)}\n`, () => resolve()));
  await pool.close();
  return 0;
}

async function driverMain(): Promise<number> {
  stopChildrenOnExit();
  const { seconds, heavyClients, servedClients, lightClients } = SETTINGS;
  const [gatePort, edgePort, switchPort, gatewayPort] = (await freePorts(4)) as [number, number, number, number];
  const simulators = await startSimulatorProcess({ repositoryRoot: REPOSITORY_ROOT, latencyMs: UPSTREAM_LATENCY_MS, ports: { gate: gatePort, edge: edgePort, switch: switchPort } });
  const apiKeys = JSON.stringify([...JSON.parse(HEAVY_CLIENT.apiKeys), ...JSON.parse(LIGHT_CLIENT.apiKeys)]);
  const gateway = await startGateway({ repositoryRoot: REPOSITORY_ROOT, upstreamEnv: simulators.env, port: gatewayPort, clientKey: { ...HEAVY_CLIENT, apiKeys } });
  const url = `http://127.0.0.1:${gatewayPort}`;
  const pool = new Pool(url, { connections: heavyClients, headersTimeout: 60_000, bodyTimeout: 60_000 });
  const heavy = () =>
    send(pool, HEAVY_CLIENT.key, JSON.stringify({ query: NESTED_QUERY }), (data) => (data as { users?: { edges?: unknown[] } }).users?.edges?.length === USERS_PER_QUERY);
  const lights = startChild({
    name: 'light clients',
    command: process.execPath,
    args: ['bench/overload.ts'],
    cwd: REPOSITORY_ROOT,
    env: { BENCH_OVERLOAD_ROLE: 'light', BENCH_OVERLOAD_URL: url, BENCH_OVERLOAD_LIGHT_KEY: LIGHT_CLIENT.key },
  });
  try {
    console.log(`warm-up, then ${servedClients} heavy clients for ${seconds} s`);
    // Both kinds of client connected first, as clients already in touch with the gateway are.
    await Promise.all([runClients(5, 3, heavy), lights.waitForStdout((line) => (line === LIGHT_READY ? true : undefined), 'light clients ready', 60_000)]);
    const rssBefore = readRssBytes(gateway.pid);
    const served = rowOf(`${servedClients} heavy clients`, await runClients(servedClients, seconds, heavy), seconds);
    const overload = async (label: string) => {
      console.log(`${heavyClients} heavy clients for ${seconds} s${label}, the light ones going on`);
      const window = { from: Date.now(), to: Date.now() + seconds * 1000 };
      const heavySamples = await runClients(heavyClients, seconds, heavy);
      // Memory once the flood has drained and the heap has had a moment.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      return { window, flood: rowOf(`${heavyClients} heavy clients${label}`, heavySamples, seconds), rss: readRssBytes(gateway.pid) };
    };
    const firstFlood = await overload('');
    const secondFlood = await overload(', again');
    const reported = lights.waitForStdout((line) => (line.startsWith(LIGHT_REPORT) ? (JSON.parse(line.slice(LIGHT_REPORT.length)) as CompactSample[]) : undefined), 'light report', 60_000);
    process.kill(lights.pid, 'SIGUSR2');
    const lightSamples = (await reported).map(([sentAt, ms, outcome]): Sample => ({ sentAt, ms, outcome }));
    const during = (window: { from: number; to: number }, label: string) =>
      rowOf(`${lightClients} light clients, meanwhile${label}`, lightSamples.filter((sample) => sample.sentAt >= window.from && sample.sentAt < window.to), seconds);
    const first = { ...firstFlood, lights: during(firstFlood.window, '') };
    const second = { ...secondFlood, lights: during(secondFlood.window, ', again') };
    const after = rowOf('1 heavy client, afterwards', await runClients(1, 2, heavy), 2);
    const { flood, lights: lightRow } = first;
    const rows = [served, first.flood, first.lights, second.flood, second.lights, after];
    console.log('\nOverload (closed loops; a shed client waits its Retry-After, a failed one 100 ms; light clients timed in a process of their own; latency in ms over answered requests, max over all)');
    const headers = ['clients', 'requests', 'answered', 'shed (503)', 'failed', 'answered/s', 'p50', 'p99', 'max'];
    console.log(formatTable(headers, rows.map((row): Cell[] => [row.name, row.requests, row.answered, row.shed, row.failed, decimal(row.answeredPerSecond), decimal(row.p50), decimal(row.p99), decimal(row.max)])));
    const ratio = Math.min(flood.answeredPerSecond, second.flood.answeredPerSecond) / served.answeredPerSecond;
    const worst = Math.max(flood.max, lightRow.max, second.flood.max, second.lights.max);
    const lightP99 = Math.max(lightRow.p99, second.lights.p99);
    const failed = [served, flood, lightRow, second.flood, second.lights, after].reduce((sum, row) => sum + row.failed, 0);
    const growthMib = mib(second.rss) - mib(first.rss);
    const goals: [string, string, string, boolean][] = [
      ['every request answered or shed within the deadline + 2 s (max ms)', decimal(worst), `<= ${DEADLINE_MS + SLACK_MS}`, worst <= DEADLINE_MS + SLACK_MS],
      [`answered heavy queries/s at ${heavyClients} / at ${servedClients} clients`, `${decimal(ratio, 2)}x`, `>= ${GOALS.throughputRatio}x`, ratio >= GOALS.throughputRatio],
      ['light query p99 meanwhile (ms)', decimal(lightP99), `< ${GOALS.lightP99Ms}`, lightP99 < GOALS.lightP99Ms],
      ['light queries shed', String(lightRow.shed + second.lights.shed), '0', lightRow.shed + second.lights.shed === 0],
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
    await pool.close();
    await lights.stop();
    await gateway.stop();
  }
}

let exitCode = 1;
try {
  exitCode = process.env['BENCH_OVERLOAD_ROLE'] === 'light' ? await lightClientsMain() : await driverMain();
} catch (error) {
  if (exitCodeAfterInterruption() === undefined) console.error(`\nbench failed: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await stopAllChildren();
}
process.exit(exitCodeAfterInterruption() ?? exitCode);
