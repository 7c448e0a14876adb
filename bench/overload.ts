// `npm run bench:overload`: does the gateway keep its promises far past what it can serve? 50
// clients of the nested query first (the rate it can serve), then 500 of them, then one key
// flooding 500 connections that ignore Retry-After, while 5 other clients send a light query;
// every answer or refusal timed. See bench/README.md, "Overload".
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { positiveIntegerFromEnv, requiredEnv } from './support/env.ts';
import { benchClientKey, startGateway } from './support/gateway.ts';
import { exitCodeAfterInterruption, startChild, stopAllChildren, stopChildrenOnExit } from './support/children.ts';
import { ownCpuClock, processTreeCpuClock } from './support/cpu.ts';
import { freePorts } from './support/ports.ts';
import { readRssBytes, readRunQueueWaitMs } from './support/proc.ts';
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
  floodConnections: positiveIntegerFromEnv('BENCH_OVERLOAD_FLOOD_CONNECTIONS', 500),
};
/** The gateway's default REQUEST_DEADLINE_MS, and the slack the issue allows past it. */
const DEADLINE_MS = 10_000;
const SLACK_MS = 2_000;
const FAILURE_PAUSE_MS = 100;
/** Memory is flat when a second flood leaves the RSS no more than this above the first. */
const GOALS = { throughputRatio: 0.9, lightP99Ms: 1000, rssGrowthMib: 64 } as const;

const HEAVY_CLIENT = benchClientKey('heavy', ['users:read', 'admin']);
const LIGHT_CLIENT = benchClientKey('light', ['users:read', 'admin']);
const FLOOD_CLIENT = benchClientKey('flood', ['users:read', 'admin']);
const LIGHT_QUERY = 'query Light($username: String!) { user(username: $username) { username switchAccount { userId } } }';

/** `shed`: 503 OVERLOADED; `refused`: 429 with a Retry-After (the client's own limits); both say when to ask again. */
type Outcome = 'answered' | 'shed' | 'refused' | 'failed';

interface Sample {
  outcome: Outcome;
  ms: number;
  /** when it was sent (`Date.now()`), comparable across the bench's processes */
  sentAt: number;
}

/** One POST, timed: answered (200, no errors), shed (503 OVERLOADED) or refused (429), with its Retry-After, or failed. */
async function send(pool: Pool, key: string, body: string, check: (data: unknown) => boolean): Promise<Sample & { retryAfterMs: number }> {
  const startedAt = performance.now();
  const sentAt = Date.now();
  try {
    const response = await pool.request({ method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json', 'x-api-key': key }, body });
    const answer = (await response.body.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
    const ms = performance.now() - startedAt;
    const retryAfterMs = Number(response.headers['retry-after'] ?? 1) * 1000;
    if (response.statusCode === 503 && answer.errors?.[0]?.extensions?.code === 'OVERLOADED') return { outcome: 'shed', ms, sentAt, retryAfterMs };
    if (response.statusCode === 429 && response.headers['retry-after'] !== undefined) return { outcome: 'refused', ms, sentAt, retryAfterMs };
    const answered = response.statusCode === 200 && !answer.errors?.length && check(answer.data);
    return { outcome: answered ? 'answered' : 'failed', ms, sentAt, retryAfterMs: 0 };
  } catch {
    return { outcome: 'failed', ms: performance.now() - startedAt, sentAt, retryAfterMs: 0 };
  }
}

type Timed = Sample & { retryAfterMs: number };

/** How long a client waits before its next request. */
type Pacing = (sample: Timed) => number;

/** As well-behaved clients do: after a refusal what Retry-After says, after a failure a moment. */
const wellBehaved: Pacing = (sample) => (sample.outcome === 'shed' || sample.outcome === 'refused' ? sample.retryAfterMs : sample.outcome === 'failed' ? FAILURE_PAUSE_MS : 0);

/** A client that ignores Retry-After: a refused request is sent again at once (a failure still pauses, or a dead gateway would spin the loop). */
const ignoringRetryAfter: Pacing = (sample) => (sample.outcome === 'failed' ? FAILURE_PAUSE_MS : 0);

/**
 * `clients` closed loops until `done()`: each sends its next request when the last was answered,
 * after what `pacing` says.
 */
async function runClientsUntil(clients: number, done: () => boolean, request: () => Promise<Timed>, pacing: Pacing = wellBehaved): Promise<Sample[]> {
  const samples: Sample[] = [];
  const loop = async () => {
    while (!done()) {
      const sample = await request();
      samples.push(sample);
      const pauseMs = pacing(sample);
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  return samples;
}

function runClients(clients: number, seconds: number, request: () => Promise<Timed>, pacing?: Pacing): Promise<Sample[]> {
  const endAt = performance.now() + seconds * 1000;
  return runClientsUntil(clients, () => performance.now() >= endAt, request, pacing);
}

interface Row {
  name: string;
  requests: number;
  answered: number;
  shed: number;
  refused: number;
  failed: number;
  answeredPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  /** the gateway's CPU seconds over the phase (light rows: none of their own) */
  gatewayCpuSeconds: number;
}

function rowOf(name: string, samples: readonly Sample[], seconds: number, gatewayCpuSeconds = Number.NaN): Row {
  const count = (outcome: Outcome) => samples.filter((sample) => sample.outcome === outcome).length;
  const answeredMs = samples.filter((sample) => sample.outcome === 'answered').map((sample) => sample.ms).sort((a, b) => a - b);
  // A flood's hundreds of thousands of samples: no spread into Math.max.
  const max = samples.reduce((most, sample) => Math.max(most, sample.ms), Number.NEGATIVE_INFINITY);
  return {
    name,
    requests: samples.length,
    answered: count('answered'),
    shed: count('shed'),
    refused: count('refused'),
    failed: count('failed'),
    answeredPerSecond: count('answered') / seconds,
    p50: percentile(answeredMs, 0.5),
    p99: percentile(answeredMs, 0.99),
    max: samples.length ? max : Number.NaN,
    gatewayCpuSeconds,
  };
}

/** The gateway's refusals so far, from its /metrics: made from the headers alone (by code), by admission before the body was parsed, and after. */
async function refusalsOf(pool: Pool): Promise<{ unread: Record<string, number>; unparsed: number; parsed: number }> {
  const text = await (await pool.request({ method: 'GET', path: '/metrics' })).body.text();
  const refusals = { unread: {} as Record<string, number>, unparsed: 0, parsed: 0 };
  for (const [, code, value] of text.matchAll(/^graphql_unread_refusals_total\{code="(\w+)"\} (\d+)$/gm)) refusals.unread[code as string] = Number(value);
  for (const [, costClass, outcome, value] of text.matchAll(/^graphql_admissions_total\{class="(\w+)",outcome="([\w-]+)"\} (\d+)$/gm)) {
    if (outcome === 'admitted') continue;
    if (costClass === 'unparsed') refusals.unparsed += Number(value);
    else refusals.parsed += Number(value);
  }
  return refusals;
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
  const { seconds, heavyClients, servedClients, lightClients, floodConnections } = SETTINGS;
  const [gatePort, edgePort, switchPort, gatewayPort] = (await freePorts(4)) as [number, number, number, number];
  const simulators = await startSimulatorProcess({ repositoryRoot: REPOSITORY_ROOT, latencyMs: UPSTREAM_LATENCY_MS, ports: { gate: gatePort, edge: edgePort, switch: switchPort } });
  const apiKeys = JSON.stringify([HEAVY_CLIENT, LIGHT_CLIENT, FLOOD_CLIENT].flatMap((client) => JSON.parse(client.apiKeys) as unknown[]));
  const gateway = await startGateway({ repositoryRoot: REPOSITORY_ROOT, upstreamEnv: simulators.env, port: gatewayPort, clientKey: { ...HEAVY_CLIENT, apiKeys } });
  const gatewayCpuMs = processTreeCpuClock(gateway.pid);
  const url = `http://127.0.0.1:${gatewayPort}`;
  const pool = new Pool(url, { connections: Math.max(heavyClients, floodConnections), headersTimeout: 60_000, bodyTimeout: 60_000 });
  const nested = (key: string) => () =>
    send(pool, key, JSON.stringify({ query: NESTED_QUERY }), (data) => (data as { users?: { edges?: unknown[] } }).users?.edges?.length === USERS_PER_QUERY);
  const heavy = nested(HEAVY_CLIENT.key);
  const lights = startChild({
    name: 'light clients',
    command: process.execPath,
    args: ['bench/overload.ts'],
    cwd: REPOSITORY_ROOT,
    env: { BENCH_OVERLOAD_ROLE: 'light', BENCH_OVERLOAD_URL: url, BENCH_OVERLOAD_LIGHT_KEY: LIGHT_CLIENT.key },
  });
  const simulatorsCpuMs = processTreeCpuClock(simulators.child.pid);
  /** A phase of `clients` loops for `seconds`, with when it ran and the CPU seconds of the gateway, the simulators and this driver over it. */
  const phase = async (name: string, clients: number, request: () => Promise<Timed>, pacing?: Pacing) => {
    const window = { from: Date.now(), to: Date.now() + seconds * 1000 };
    const before = { gateway: gatewayCpuMs(), simulators: simulatorsCpuMs(), driver: ownCpuClock() };
    const samples = await runClients(clients, seconds, request, pacing);
    const cpu = { gateway: (gatewayCpuMs() - before.gateway) / 1000, simulators: (simulatorsCpuMs() - before.simulators) / 1000, driver: (ownCpuClock() - before.driver) / 1000 };
    return { window, cpu, row: rowOf(name, samples, seconds, cpu.gateway) };
  };
  try {
    console.log(`warm-up, then ${servedClients} heavy clients for ${seconds} s`);
    // Both kinds of client connected first, as clients already in touch with the gateway are.
    await Promise.all([runClients(5, 3, heavy), lights.waitForStdout((line) => (line === LIGHT_READY ? true : undefined), 'light clients ready', 60_000)]);
    const rssBefore = readRssBytes(gateway.pid);
    const served = (await phase(`${servedClients} heavy clients`, servedClients, heavy)).row;
    const overload = async (label: string) => {
      console.log(`${heavyClients} heavy clients for ${seconds} s${label}, the light ones going on`);
      const measured = await phase(`${heavyClients} heavy clients${label}`, heavyClients, heavy);
      // Memory once the flood has drained and the heap has had a moment.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      return { ...measured, rss: readRssBytes(gateway.pid) };
    };
    const firstFlood = await overload('');
    const secondFlood = await overload(', again');
    console.log(`one key on ${floodConnections} connections for ${seconds} s, each sending again at once when refused, the light ones going on`);
    const [refusalsBefore, waitedBefore] = [await refusalsOf(pool), readRunQueueWaitMs(gateway.pid) ?? Number.NaN];
    const floodPhase = await phase(`1 key, ${floodConnections} connections ignoring Retry-After`, floodConnections, nested(FLOOD_CLIENT.key), ignoringRetryAfter);
    const [refusalsAfter, waitedAfter] = [await refusalsOf(pool), readRunQueueWaitMs(gateway.pid) ?? Number.NaN];
    const reported = lights.waitForStdout((line) => (line.startsWith(LIGHT_REPORT) ? (JSON.parse(line.slice(LIGHT_REPORT.length)) as CompactSample[]) : undefined), 'light report', 60_000);
    process.kill(lights.pid, 'SIGUSR2');
    const lightSamples = (await reported).map(([sentAt, ms, outcome]): Sample => ({ sentAt, ms, outcome }));
    const during = (window: { from: number; to: number }, label: string) =>
      rowOf(`${lightClients} light clients, meanwhile${label}`, lightSamples.filter((sample) => sample.sentAt >= window.from && sample.sentAt < window.to), seconds);
    const first = { flood: firstFlood.row, rss: firstFlood.rss, lights: during(firstFlood.window, '') };
    const second = { flood: secondFlood.row, rss: secondFlood.rss, lights: during(secondFlood.window, ', again') };
    const flood = { flood: floodPhase.row, lights: during(floodPhase.window, ', one key flooding') };
    const after = (await phase('1 heavy client, afterwards', 1, heavy)).row;
    const rows = [served, first.flood, first.lights, second.flood, second.lights, flood.flood, flood.lights, after];
    console.log(
      '\nOverload (closed loops; a refused client waits its Retry-After, except the flooding key, which sends again at once; a failed one 100 ms; light clients timed in a process of their own; latency in ms over answered requests, max over all; the gateway\'s CPU seconds over the phase)',
    );
    const headers = ['clients', 'requests', 'answered', 'shed (503)', 'refused (429)', 'failed', 'answered/s', 'p50', 'p99', 'max', 'gateway CPU s'];
    console.log(
      formatTable(
        headers,
        rows.map((row): Cell[] => [row.name, row.requests, row.answered, row.shed, row.refused, row.failed, decimal(row.answeredPerSecond), decimal(row.p50), decimal(row.p99), decimal(row.max), decimal(row.gatewayCpuSeconds)]),
      ),
    );
    const { cpu } = floodPhase;
    const unread = (code: string) => (refusalsAfter.unread[code] ?? 0) - (refusalsBefore.unread[code] ?? 0);
    const unreadOverloaded = unread('OVERLOADED');
    console.log(
      `While one key flooded: CPU seconds of the gateway ${decimal(cpu.gateway)}, the simulators ${decimal(cpu.simulators)}, this driver (the flooding key) ${decimal(cpu.driver)}, in ${seconds} s on ${availableParallelism()} cores; the gateway's event loop waited ${decimal((waitedAfter - waitedBefore) / 1000)} s for a CPU. ` +
        `${decimal((flood.flood.shed + flood.flood.refused) / seconds, 0)} refusals a second: ${unread('TOO_MANY_REQUESTS_IN_FLIGHT')} 429 and ${unreadOverloaded} 503 from the headers alone, ${refusalsAfter.unparsed - refusalsBefore.unparsed - unreadOverloaded} 503 by Yoga before parsing, ${refusalsAfter.parsed - refusalsBefore.parsed} after.`,
    );
    const ratio = Math.min(first.flood.answeredPerSecond, second.flood.answeredPerSecond) / served.answeredPerSecond;
    const worst = Math.max(...rows.map((row) => row.max));
    const lightP99 = Math.max(first.lights.p99, second.lights.p99);
    const lightRefused = (row: Row) => row.shed + row.refused;
    const failed = rows.reduce((sum, row) => sum + row.failed, 0);
    const growthMib = mib(second.rss) - mib(first.rss);
    const goals: [string, string, string, boolean][] = [
      ['every request answered or refused within the deadline + 2 s (max ms)', decimal(worst), `<= ${DEADLINE_MS + SLACK_MS}`, worst <= DEADLINE_MS + SLACK_MS],
      [`answered heavy queries/s at ${heavyClients} / at ${servedClients} clients`, `${decimal(ratio, 2)}x`, `>= ${GOALS.throughputRatio}x`, ratio >= GOALS.throughputRatio],
      ['light query p99 meanwhile (ms)', decimal(lightP99), `< ${GOALS.lightP99Ms}`, lightP99 < GOALS.lightP99Ms],
      ['light queries shed or refused', String(lightRefused(first.lights) + lightRefused(second.lights)), '0', lightRefused(first.lights) + lightRefused(second.lights) === 0],
      ['light query p99 while one key floods (ms)', decimal(flood.lights.p99), `< ${GOALS.lightP99Ms}`, flood.lights.p99 < GOALS.lightP99Ms],
      ['light queries shed or refused while one key floods', String(lightRefused(flood.lights)), '0', lightRefused(flood.lights) === 0],
      ['failed requests (neither answered nor refused)', String(failed), '0', failed === 0],
      [`no query shed or refused at ${servedClients} clients`, String(lightRefused(served)), '0', lightRefused(served) === 0],
      ['answers again afterwards', String(after.answered), '> 0', after.answered > 0 && lightRefused(after) === 0],
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
