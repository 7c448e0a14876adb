// `npm run bench:soak`: the gateway under a steady mix of queries for a minute while about 10% of
// its upstream calls misbehave. Does it stay up, flat in memory, free of unhandled rejections, and
// are its errors the faults' doing? See bench/README.md.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { createDataset } from '../src/simulators/dataset.ts';
import type { SimulatorStats } from '../src/simulators/index.ts';
import { describeExit, exitCodeAfterInterruption, stopAllChildren, stopChildrenOnExit, type ManagedChild } from './support/children.ts';
import { nonNegativeIntegerFromEnv, positiveIntegerFromEnv } from './support/env.ts';
import { benchClientKey, startGateway } from './support/gateway.ts';
import { freePorts } from './support/ports.ts';
import { readRssBytes } from './support/proc.ts';
import { seededRandom, type Random } from './support/random.ts';
import { SimulatorCounters, SimulatorFaults, startSimulatorProcess, UPSTREAM_NAMES, type PerUpstream, type UpstreamEnv } from './support/simulators.ts';
import { SOAK_FAULT_KINDS, soakFaultRules } from './support/soak-faults.ts';
import { leastSquaresLine, summarizeLatencies, type LatencySummary } from './support/stats.ts';
import { decimal, formatTable, type Cell } from './support/table.ts';
import { NESTED_QUERY } from './support/workload.ts';

const REPOSITORY_ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS_DIRECTORY = new URL('results/', import.meta.url);
const RESULTS_FILE = new URL('soak-latest.json', RESULTS_DIRECTORY);

/** Small, so that the gateway's own work (and the faults) set the pace, not the simulated network. */
const SIMULATOR_LATENCY_MS = 5;
/** The longest a query may take before the driver counts it unanswered. */
const QUERY_TIMEOUT_MS = 30_000;
/** After the last query is sent, how long the driver waits for the stragglers. */
const DRAIN_TIMEOUT_MS = QUERY_TIMEOUT_MS + 5_000;
const RSS_SAMPLE_INTERVAL_MS = 1_000;
/** The people the soak creates for its own mutations (before the faults start). */
const SOAK_PEOPLE = 4;
const FAILURE_SAMPLES_KEPT = 8;
const MIB = 1024 * 1024;

/** What in the gateway's output means an error escaped every handler. */
const CRASH_SIGNS =
  /unhandledRejection|uncaughtException|unhandled ?promise ?rejection|UnhandledPromiseRejection|triggerUncaughtException|FATAL ERROR|heap out of memory|Maximum call stack/i;

// ---- settings ----

interface SoakSettings {
  /** of the measured run */
  seconds: number;
  /** queries a second, sent on schedule whatever the answers do */
  rate: number;
  /** the same load before the measured run, unmeasured: JIT, pools, heap sizing */
  warmupSeconds: number;
  /** of every upstream's calls that a fault rule hits */
  faultPercent: number;
  /** the most RSS may grow over the measured run (by the least-squares line) */
  maxRssGrowthMb: number;
  seed: number;
}

function settingsFromEnv(): SoakSettings {
  const faultPercent = nonNegativeIntegerFromEnv('BENCH_SOAK_FAULT_PERCENT', 10);
  if (faultPercent > 100) throw new Error(`BENCH_SOAK_FAULT_PERCENT must be at most 100, got ${faultPercent}`);
  return {
    seconds: positiveIntegerFromEnv('BENCH_SOAK_SECONDS', 60),
    rate: positiveIntegerFromEnv('BENCH_SOAK_RATE', 20),
    warmupSeconds: nonNegativeIntegerFromEnv('BENCH_SOAK_WARMUP_SECONDS', 10),
    faultPercent,
    maxRssGrowthMb: positiveIntegerFromEnv('BENCH_SOAK_MAX_RSS_GROWTH_MB', 64),
    seed: nonNegativeIntegerFromEnv('BENCH_SOAK_SEED', 1),
  };
}

// ---- the client ----

interface GraphQLError {
  message: string;
  path?: readonly (string | number)[];
  extensions?: { code?: unknown; upstream?: unknown };
}

interface GraphQLAnswer {
  data?: Record<string, unknown> | null;
  errors?: GraphQLError[];
}

interface Operation {
  query: string;
  variables?: Record<string, unknown>;
}

class GatewayClient {
  readonly #pool: Pool;
  readonly #key: string;

  constructor(port: number, key: string) {
    this.#key = key;
    // Open loop: enough connections that queries never wait for one behind a slow answer.
    this.#pool = new Pool(`http://127.0.0.1:${port}`, {
      connections: 256,
      keepAliveTimeout: 30_000,
      headersTimeout: QUERY_TIMEOUT_MS,
      bodyTimeout: QUERY_TIMEOUT_MS,
    });
  }

  /** The HTTP status and the body parsed when it is JSON; throws only when no answer came. */
  async post(operation: Operation): Promise<{ status: number; answer: GraphQLAnswer | undefined; text: string }> {
    const response = await this.#pool.request({
      method: 'POST',
      path: '/graphql',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-api-key': this.#key },
      body: JSON.stringify(operation),
      signal: AbortSignal.timeout(QUERY_TIMEOUT_MS),
    });
    const text = await response.body.text();
    let answer: GraphQLAnswer | undefined;
    try {
      answer = JSON.parse(text) as GraphQLAnswer;
    } catch {
      answer = undefined;
    }
    return { status: response.statusCode, answer, text };
  }

  /** The data of an answer that must be clean (setup and checks). */
  async data(operation: Operation): Promise<Record<string, unknown>> {
    const { status, answer, text } = await this.post(operation);
    if (status !== 200 || !answer?.data || answer.errors?.length) throw new Error(`gateway answered ${status}: ${text.slice(0, 500)}`);
    return answer.data;
  }

  /** The body of a GET answered 200, else undefined (a path not served, say). */
  async text(path: string): Promise<string | undefined> {
    try {
      const response = await this.#pool.request({ method: 'GET', path, signal: AbortSignal.timeout(5_000) });
      const text = await response.body.text();
      return response.statusCode === 200 ? text : undefined;
    } catch {
      return undefined;
    }
  }

  /** Status of a plain GET (/healthz, say), or the error that came instead. */
  async probe(path: string): Promise<string> {
    try {
      const response = await this.#pool.request({ method: 'GET', path, signal: AbortSignal.timeout(5_000) });
      await response.body.dump();
      return String(response.statusCode);
    } catch (error) {
      return `no answer (${errorCode(error)})`;
    }
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}

function errorCode(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    return typeof code === 'string' ? code : error.name;
  }
  return String(error);
}

// ---- the query mix ----

interface Fixtures {
  usernames: readonly string[];
  /** global ids of users, edge users and switch users */
  nodeIds: readonly string[];
  /** the people the soak created; its mutations change only their balances */
  ownPeople: readonly string[];
  runId: string;
}

interface QueryKind {
  name: string;
  /** relative */
  weight: number;
  /** the mutation's root field, whose __typename is tallied */
  mutationField?: string;
  build(random: Random, fixtures: Fixtures, sequence: number): Operation;
}

const PERSON_QUERY = `query Person($username: String!) {
  user(username: $username) {
    username email organization
    token { isActive } balance { seconds } extra { preferences }
    edgeAccount { id isActive } loginHistory(last: 3) { totalCount }
    switchAccount { userId roleName }
  }
}`;

const EDGE_PAGE_QUERY = `query EdgePage($first: Int!, $needle: String) {
  edgeUsers(first: $first, filter: { usernameContains: $needle }) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id username isActive user { email } } }
  }
}`;

const SWITCH_PAGE_QUERY = `query SwitchPage($first: Int!, $active: Boolean) {
  switchUsers(first: $first, filter: { active: $active }, orderBy: { field: CREATE_TIME, direction: DESC }) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id name carrierName createTime } }
  }
}`;

const NODE_QUERY = `query Node($id: ID!) {
  node(id: $id) {
    __typename id
    ... on User { username email }
    ... on EdgeUser { username isActive }
    ... on SwitchUser { name carrierName }
  }
}`;

const ADD_BALANCE = `mutation AddBalance($input: AddBalanceInput!) {
  addBalance(input: $input) {
    __typename
    ... on Error { message }
    ... on BalancePayload { balance { seconds } }
  }
}`;

const QUERY_KINDS: readonly QueryKind[] = [
  { name: 'nested users(first: 50)', weight: 10, build: () => ({ query: NESTED_QUERY }) },
  { name: 'user(username)', weight: 30, build: (random, fixtures) => ({ query: PERSON_QUERY, variables: { username: random.pick(fixtures.usernames) } }) },
  {
    name: 'edgeUsers page',
    weight: 15,
    build: (random, fixtures) => ({
      query: EDGE_PAGE_QUERY,
      // Half of them a fuzzy search on two letters of someone's name, half the first page.
      variables: { first: random.pick([10, 25, 50]), needle: random.next() < 0.5 ? random.pick(fixtures.usernames).slice(0, 2) : null },
    }),
  },
  {
    name: 'switchUsers page',
    weight: 15,
    build: (random) => ({ query: SWITCH_PAGE_QUERY, variables: { first: random.pick([10, 30, 100]), active: random.pick([true, false, null]) } }),
  },
  { name: 'node(id)', weight: 20, build: (random, fixtures) => ({ query: NODE_QUERY, variables: { id: random.pick(fixtures.nodeIds) } }) },
  {
    name: 'addBalance (own people)',
    weight: 10,
    mutationField: 'addBalance',
    build: (random, fixtures, sequence) => ({
      query: ADD_BALANCE,
      variables: { input: { username: random.pick(fixtures.ownPeople), seconds: 1, idempotencyKey: `soak-${fixtures.runId}-${sequence}` } },
    }),
  },
];

function kindPicker(random: Random): () => QueryKind {
  const total = QUERY_KINDS.reduce((sum, kind) => sum + kind.weight, 0);
  return () => {
    let roll = random.next() * total;
    for (const kind of QUERY_KINDS) {
      roll -= kind.weight;
      if (roll < 0) return kind;
    }
    return QUERY_KINDS.at(-1) as QueryKind;
  };
}

// ---- setup: the soak's own people and some node ids, before any fault ----

async function prepareFixtures(client: GatewayClient): Promise<Fixtures> {
  const runId = randomBytes(4).toString('hex');
  const ownPeople: string[] = [];
  for (let index = 0; index < SOAK_PEOPLE; index++) {
    const username = `soak.${runId}.${index}`;
    const data = await client.data({
      query: `mutation Provision($input: ProvisionUserInput!) { provisionUser(input: $input) { __typename ... on Error { message } } }`,
      variables: {
        input: {
          idempotencyKey: `soak-provision-${runId}-${index}`,
          username,
          email: `${username}@acme.com`,
          password: `soak-password-${runId}`,
          organization: 'acme',
          initialBalanceSeconds: 3_600,
        },
      },
    });
    const result = data['provisionUser'] as { __typename?: string; message?: string } | undefined;
    if (result?.__typename !== 'ProvisionUserPayload') throw new Error(`provisionUser(${username}) answered ${JSON.stringify(result)}`);
    ownPeople.push(username);
  }
  const data = (await client.data({
    query: '{ users(first: 30) { edges { node { id } } } edgeUsers(first: 30) { edges { node { id } } } switchUsers(first: 30) { edges { node { id } } } }',
  })) as Record<'users' | 'edgeUsers' | 'switchUsers', { edges: { node: { id: string } }[] }>;
  const nodeIds = [...data.users.edges, ...data.edgeUsers.edges, ...data.switchUsers.edges].map((edge) => edge.node.id);
  const usernames = createDataset().gateUsers.map((user) => user.username);
  return { usernames, nodeIds, ownPeople, runId };
}

// ---- tallies ----

type Tally = Record<string, number>;

function count(tally: Tally, key: string, by = 1): void {
  tally[key] = (tally[key] ?? 0) + by;
}

interface KindTally {
  sent: number;
  /** an HTTP answer came (any status) */
  answered: number;
  /** 200 with data and no errors */
  clean: number;
  /** 200 whose body has `errors` */
  withErrors: number;
  /** another status, or no answer at all */
  httpErrors: number;
  /** from the scheduled send to the whole body, for every answer that came */
  latenciesMs: number[];
  /** the mutation's result __typename */
  results: Tally;
}

function emptyKindTally(): KindTally {
  return { sent: 0, answered: 0, clean: 0, withErrors: 0, httpErrors: 0, latenciesMs: [], results: {} };
}

class Outcomes {
  readonly byKind = new Map<string, KindTally>(QUERY_KINDS.map((kind) => [kind.name, emptyKindTally()]));
  /** "HTTP 503", "no answer (UND_ERR_SOCKET)" */
  readonly httpErrors: Tally = {};
  /** every GraphQL error by extensions.code */
  readonly errorCodes: Tally = {};
  /** every GraphQL error by code and upstream */
  readonly errorCodesByUpstream: Tally = {};
  graphqlErrors = 0;
  readonly samples: string[] = [];
  /** the most the driver was late to send a query, ms */
  maxSendLagMs = 0;

  kind(name: string): KindTally {
    return this.byKind.get(name) as KindTally;
  }

  sample(text: string): void {
    if (this.samples.length < FAILURE_SAMPLES_KEPT && !this.samples.includes(text)) this.samples.push(text);
  }

  totals(): Omit<KindTally, 'results'> {
    const total = emptyKindTally();
    for (const tally of this.byKind.values()) {
      total.sent += tally.sent;
      total.answered += tally.answered;
      total.clean += tally.clean;
      total.withErrors += tally.withErrors;
      total.httpErrors += tally.httpErrors;
      total.latenciesMs.push(...tally.latenciesMs);
    }
    const { results: _results, ...rest } = total;
    return rest;
  }
}

async function fire(client: GatewayClient, kind: QueryKind, operation: Operation, dueAt: number, outcomes: Outcomes): Promise<void> {
  const tally = outcomes.kind(kind.name);
  tally.sent++;
  let reply: Awaited<ReturnType<GatewayClient['post']>>;
  try {
    reply = await client.post(operation);
  } catch (error) {
    tally.httpErrors++;
    const key = `no answer (${errorCode(error)})`;
    count(outcomes.httpErrors, key);
    outcomes.sample(`${kind.name}: ${key}: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  tally.answered++;
  tally.latenciesMs.push(performance.now() - dueAt);
  const { status, answer, text } = reply;
  if (status !== 200 || answer === undefined) {
    tally.httpErrors++;
    const code = (answer?.errors?.[0]?.extensions?.code as string | undefined) ?? (answer === undefined ? 'not JSON' : 'no code');
    count(outcomes.httpErrors, `HTTP ${status} ${code}`);
    outcomes.sample(`${kind.name}: HTTP ${status}: ${text.slice(0, 200)}`);
    return;
  }
  if (kind.mutationField) {
    const result = answer.data?.[kind.mutationField] as { __typename?: string } | null | undefined;
    count(tally.results, result?.__typename ?? 'null');
  }
  const errors = answer.errors ?? [];
  if (errors.length === 0) {
    tally.clean++;
    return;
  }
  tally.withErrors++;
  for (const error of errors) {
    const code = typeof error.extensions?.code === 'string' ? error.extensions.code : 'NO_CODE';
    const upstream = typeof error.extensions?.upstream === 'string' ? error.extensions.upstream : '-';
    outcomes.graphqlErrors++;
    count(outcomes.errorCodes, code);
    count(outcomes.errorCodesByUpstream, `${code}\t${upstream}`);
    if (code === 'INTERNAL_SERVER_ERROR' || code === 'NO_CODE') outcomes.sample(`${kind.name}: ${code}: ${error.message}`);
  }
}

/**
 * Open loop: query n is sent at start + n / rate whether or not the earlier ones answered, and its
 * latency runs from that scheduled moment (a driver that fell behind cannot hide a slow gateway).
 */
async function drive(
  client: GatewayClient,
  settings: { seconds: number; rate: number },
  fixtures: Fixtures,
  random: Random,
  outcomes: Outcomes,
  sequenceStart: number,
): Promise<{ sent: number; drained: boolean; elapsedMs: number }> {
  const pickKind = kindPicker(random);
  const total = settings.seconds * settings.rate;
  const intervalMs = 1_000 / settings.rate;
  const inFlight = new Set<Promise<void>>();
  const startedAt = performance.now();
  for (let index = 0; index < total; index++) {
    const dueAt = startedAt + index * intervalMs;
    const wait = dueAt - performance.now();
    if (wait > 0) await sleep(wait);
    outcomes.maxSendLagMs = Math.max(outcomes.maxSendLagMs, performance.now() - dueAt);
    const kind = pickKind();
    const pending = fire(client, kind, kind.build(random, fixtures, sequenceStart + index), dueAt, outcomes);
    inFlight.add(pending);
    void pending.finally(() => inFlight.delete(pending));
  }
  const drained = await Promise.race([Promise.all(inFlight).then(() => true), sleep(DRAIN_TIMEOUT_MS).then(() => false)]);
  return { sent: total, drained, elapsedMs: performance.now() - startedAt };
}

// ---- watching the gateway: output and memory ----

class GatewayWatch {
  /** lines that say an error escaped (unhandled rejection, uncaught exception, fatal) */
  readonly crashLines: string[] = [];
  stderrLines = 0;
  readonly stderrSamples: string[] = [];
  /** pino lines at error (50) or above, by message */
  readonly errorLogs: Tally = {};
  readonly warnLogs: Tally = {};

  constructor(gateway: ManagedChild) {
    gateway.onOutput((line, stream) => this.#onLine(line, stream));
  }

  #onLine(line: string, stream: 'stdout' | 'stderr'): void {
    if (CRASH_SIGNS.test(line) && this.crashLines.length < 50) this.crashLines.push(`[${stream}] ${line.slice(0, 1_000)}`);
    if (stream === 'stderr') {
      this.stderrLines++;
      if (this.stderrSamples.length < 10) this.stderrSamples.push(line.slice(0, 300));
    }
    if (!line.startsWith('{')) return;
    let entry: { level?: unknown; msg?: unknown };
    try {
      entry = JSON.parse(line) as { level?: unknown; msg?: unknown };
    } catch {
      return;
    }
    if (typeof entry.level !== 'number') return;
    const message = typeof entry.msg === 'string' ? entry.msg.slice(0, 120) : '(no msg)';
    if (entry.level >= 50) count(this.errorLogs, message);
    else if (entry.level >= 40) count(this.warnLogs, message);
  }
}

interface RssSample {
  /** seconds since the gateway was ready */
  atS: number;
  phase: 'setup' | 'warm-up' | 'measured' | 'drain';
  mib: number;
}

/** Every this many RSS samples, the V8 heap in use is read from /metrics too, if the gateway serves it. */
const HEAP_SAMPLE_EVERY = 2;
const HEAP_USED_METRIC = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? ([0-9.e+]+)$/m;

class RssSampler {
  readonly samples: RssSample[] = [];
  /** nodejs_heap_size_used_bytes of the gateway's /metrics (prom-client's default metrics), when served */
  readonly heapSamples: RssSample[] = [];
  phase: RssSample['phase'] = 'setup';
  readonly #timer: NodeJS.Timeout;
  readonly #startedAt = performance.now();
  #ticks = 0;
  #metricsServed = true;

  constructor(pid: number, client: GatewayClient) {
    const sample = () => {
      const atS = (performance.now() - this.#startedAt) / 1_000;
      const phase = this.phase;
      const bytes = readRssBytes(pid);
      if (bytes !== undefined) this.samples.push({ atS, phase, mib: bytes / MIB });
      if (this.#metricsServed && this.#ticks++ % HEAP_SAMPLE_EVERY === 0) {
        void client.text('/metrics').then((text) => {
          const match = text === undefined ? null : HEAP_USED_METRIC.exec(text);
          if (match) this.heapSamples.push({ atS, phase, mib: Number(match[1]) / MIB });
          else this.#metricsServed = false;
        });
      }
    };
    sample();
    this.#timer = setInterval(sample, RSS_SAMPLE_INTERVAL_MS);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

interface MemoryReport {
  samples: number;
  firstMib: number;
  lastMib: number;
  maxMib: number;
  /** of the least-squares line over the measured run */
  slopeMibPerMinute: number;
  /** that line's rise over the measured run */
  fittedGrowthMib: number;
  boundMib: number;
  withinBound: boolean;
  /** the lowest sample of the first and of the last tenth of the measured run (after a major GC, usually) */
  floorFirstMib: number;
  floorLastMib: number;
  /** the whole run, set-up and warm-up included, for reference */
  startMib: number;
  maxOverallMib: number;
  /** V8's heap in use (from /metrics), over the measured run: least-squares slope, first and last, when served */
  heapUsed: { samples: number; firstMib: number; lastMib: number; slopeMibPerMinute: number } | undefined;
}

function memoryReport(samples: readonly RssSample[], heapSamples: readonly RssSample[], boundMib: number): MemoryReport {
  const measured = samples.filter((sample) => sample.phase === 'measured');
  const tenth = Math.max(1, Math.floor(measured.length / 10));
  const floor = (some: readonly RssSample[]) => Math.min(...some.map((sample) => sample.mib));
  const heap = heapSamples.filter((sample) => sample.phase === 'measured');
  const heapLine = leastSquaresLine(heap.map((sample) => ({ x: sample.atS, y: sample.mib })));
  const line = leastSquaresLine(measured.map((sample) => ({ x: sample.atS, y: sample.mib })));
  const spanS = measured.length > 1 ? (measured.at(-1) as RssSample).atS - (measured[0] as RssSample).atS : Number.NaN;
  const fittedGrowthMib = line.slope * spanS;
  return {
    samples: measured.length,
    firstMib: measured[0]?.mib ?? Number.NaN,
    lastMib: measured.at(-1)?.mib ?? Number.NaN,
    maxMib: Math.max(...measured.map((sample) => sample.mib)),
    slopeMibPerMinute: line.slope * 60,
    fittedGrowthMib,
    boundMib,
    // No line (too few samples) is no proof of flat memory.
    withinBound: Number.isFinite(fittedGrowthMib) && fittedGrowthMib <= boundMib,
    floorFirstMib: floor(measured.slice(0, tenth)),
    floorLastMib: floor(measured.slice(-tenth)),
    heapUsed: heap.length === 0
      ? undefined
      : { samples: heap.length, firstMib: heap[0]!.mib, lastMib: heap.at(-1)!.mib, slopeMibPerMinute: heapLine.slope * 60 },
    startMib: samples[0]?.mib ?? Number.NaN,
    maxOverallMib: Math.max(...samples.map((sample) => sample.mib)),
  };
}

// ---- report ----

function percent(part: number, whole: number, digits = 1): string {
  return whole === 0 ? '-' : `${((100 * part) / whole).toFixed(digits)}%`;
}

function sortedEntries(tally: Tally): [string, number][] {
  return Object.entries(tally).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

function printQueries(outcomes: Outcomes): void {
  console.log('\nQueries (measured run; latency in ms from the scheduled send to the whole answer)');
  const headers = ['kind', 'sent', 'answered', 'clean', 'with errors', 'HTTP errors', 'p50', 'p90', 'p99', 'max'];
  const row = (name: string, tally: Omit<KindTally, 'results'>): Cell[] => {
    const latency = summarizeLatencies(tally.latenciesMs);
    return [
      name,
      tally.sent,
      tally.answered,
      tally.clean,
      `${tally.withErrors} (${percent(tally.withErrors, tally.sent)})`,
      tally.httpErrors,
      decimal(latency.p50),
      decimal(latency.p90),
      decimal(latency.p99),
      decimal(latency.max),
    ];
  };
  const body = [...outcomes.byKind].map(([name, tally]) => row(name, tally));
  body.push(row('all', outcomes.totals()));
  console.log(formatTable(headers, body));
  const mutationResults = QUERY_KINDS.filter((kind) => kind.mutationField).map((kind) => [kind.name, outcomes.kind(kind.name).results] as const);
  for (const [name, results] of mutationResults) {
    console.log(`  ${name} results: ${sortedEntries(results).map(([typename, n]) => `${typename} ${n}`).join(', ') || 'none'}`);
  }
}

function printErrors(outcomes: Outcomes): void {
  console.log(`\nGraphQL errors in answers: ${outcomes.graphqlErrors}, by extensions.code and upstream`);
  const byUpstream = sortedEntries(outcomes.errorCodesByUpstream);
  if (byUpstream.length === 0) console.log('  none');
  else console.log(formatTable(['code', 'upstream', 'errors'], byUpstream.map(([key, n]) => [...key.split('\t'), n] as Cell[])));
  const httpErrors = sortedEntries(outcomes.httpErrors);
  console.log(`\nHTTP errors: ${httpErrors.length === 0 ? 'none' : ''}`);
  if (httpErrors.length > 0) console.log(formatTable(['what', 'queries'], httpErrors));
  if (outcomes.samples.length > 0) {
    console.log('  samples:');
    for (const sample of outcomes.samples) console.log(`    ${sample}`);
  }
}

function printFaults(stats: PerUpstream<SimulatorStats>, outcomes: Outcomes, faultPercent: number): void {
  console.log(`\nUpstream calls and the faults that hit them (simulator counters; target ${faultPercent}% of each upstream's calls)`);
  const actions = [...new Set(UPSTREAM_NAMES.flatMap((name) => Object.keys(stats[name].faultedByAction)))].sort();
  const headers = ['upstream', 'calls', 'faulted', 'fraction', ...actions];
  const all: SimulatorStats = { requests: 0, connections: 0, faulted: 0, faultedByAction: {} };
  const body = UPSTREAM_NAMES.map((name): Cell[] => {
    const upstream = stats[name];
    all.requests += upstream.requests;
    all.faulted += upstream.faulted;
    for (const action of actions) count(all.faultedByAction as Tally, action, upstream.faultedByAction[action as keyof SimulatorStats['faultedByAction']] ?? 0);
    return [name, upstream.requests, upstream.faulted, percent(upstream.faulted, upstream.requests, 2), ...actions.map((action) => upstream.faultedByAction[action as keyof SimulatorStats['faultedByAction']] ?? 0)];
  });
  body.push(['all', all.requests, all.faulted, percent(all.faulted, all.requests, 2), ...actions.map((action) => (all.faultedByAction as Tally)[action] ?? 0)]);
  console.log(formatTable(headers, body));
  const totals = outcomes.totals();
  console.log(
    `  upstream calls per query: ${decimal(all.requests / Math.max(1, totals.sent), 1)};` +
      ` queries with errors or HTTP errors: ${percent(totals.withErrors + totals.httpErrors, totals.sent)};` +
      ` GraphQL errors per faulted call: ${decimal(outcomes.graphqlErrors / Math.max(1, all.faulted), 2)}`,
  );
}

function printMemory(memory: MemoryReport): void {
  console.log('\nGateway memory (RSS from /proc/<pid>/status VmRSS, every second)');
  console.log(
    formatTable(
      ['run', 'samples', 'first MiB', 'last MiB', 'max MiB', 'slope MiB/min', 'fitted growth MiB', 'bound MiB', 'met'],
      [[
        'measured',
        memory.samples,
        decimal(memory.firstMib),
        decimal(memory.lastMib),
        decimal(memory.maxMib),
        decimal(memory.slopeMibPerMinute, 2),
        decimal(memory.fittedGrowthMib, 1),
        `<= ${memory.boundMib}`,
        memory.withinBound ? 'yes' : 'NO',
      ]],
    ),
  );
  console.log(
    `  lowest in the first / last tenth: ${decimal(memory.floorFirstMib)} / ${decimal(memory.floorLastMib)} MiB; ` +
      `at start-up ${decimal(memory.startMib)} MiB; the most over the whole run ${decimal(memory.maxOverallMib)} MiB`,
  );
  const heap = memory.heapUsed;
  console.log(
    heap === undefined
      ? '  V8 heap in use: not read (the gateway serves no nodejs_heap_size_used_bytes at /metrics)'
      : `  V8 heap in use (/metrics, every ${HEAP_SAMPLE_EVERY} s): ${decimal(heap.firstMib)} -> ${decimal(heap.lastMib)} MiB, ` +
          `slope ${decimal(heap.slopeMibPerMinute, 2)} MiB/min over ${heap.samples} samples (garbage included: a saw-tooth too)`,
  );
}

// ---- main ----

async function main(): Promise<number> {
  stopChildrenOnExit();
  const settings = settingsFromEnv();
  const random = seededRandom(settings.seed);
  console.log(
    `node ${process.version}, ${availableParallelism()} CPUs; ${settings.rate} queries/s, open loop, for ${settings.warmupSeconds} s warm-up + ` +
      `${settings.seconds} s measured; ${settings.faultPercent}% of upstream calls faulted; ${SIMULATOR_LATENCY_MS} ms per upstream call`,
  );

  const [gatePort, edgePort, switchPort, gatewayPort] = (await freePorts(4)) as [number, number, number, number];
  const simulators = await startSimulatorProcess({
    repositoryRoot: REPOSITORY_ROOT,
    latencyMs: SIMULATOR_LATENCY_MS,
    ports: { gate: gatePort, edge: edgePort, switch: switchPort },
  });
  const upstreamEnv: UpstreamEnv = simulators.env;
  const clientKey = benchClientKey('soak', ['users:read', 'users:write', 'admin']);
  const gateway = await startGateway({ repositoryRoot: REPOSITORY_ROOT, upstreamEnv, port: gatewayPort, clientKey });
  const watch = new GatewayWatch(gateway);
  const client = new GatewayClient(gatewayPort, clientKey.key);
  const rss = new RssSampler(gateway.pid, client);
  const faults = new SimulatorFaults(upstreamEnv);
  const counters = new SimulatorCounters(upstreamEnv);
  try {
    await client.data({ query: '{ __typename }' });
    const fixtures = await prepareFixtures(client);
    console.log(`gateway up (pid ${gateway.pid}); ${fixtures.ownPeople.length} people provisioned for the mutations, ${fixtures.nodeIds.length} node ids`);

    const fraction = settings.faultPercent / 100;
    const rules = fraction > 0 ? soakFaultRules(fraction) : [];
    for (const upstream of UPSTREAM_NAMES) await faults.add(upstream, rules);
    console.log(`fault rules on each simulator: ${rules.map((rule) => `${rule.action} ${decimal(100 * (rule.chance ?? 1), 2)}%`).join(', ') || 'none'}`);

    if (settings.warmupSeconds > 0) {
      rss.phase = 'warm-up';
      console.log(`warm-up: ${settings.warmupSeconds} s`);
      const warmup = await drive(client, { seconds: settings.warmupSeconds, rate: settings.rate }, fixtures, random, new Outcomes(), 0);
      if (!warmup.drained) console.error('warm-up: some queries were still unanswered when the measured run began');
    }
    await counters.reset();
    rss.phase = 'measured';
    console.log(`measured run: ${settings.seconds} s`);
    const outcomes = new Outcomes();
    const run = await drive(client, settings, fixtures, random, outcomes, 1_000_000);
    rss.phase = 'drain';
    const upstreamStats = await counters.readStats();
    await faults.clear();

    // Still up, and still answering once the faults are gone?
    const aliveAfterRun = !gateway.hasExited && processExists(gateway.pid);
    let answersAfterRun = 'no';
    if (aliveAfterRun) {
      answersAfterRun = await client.data({ query: '{ __typename }' }).then(
        (data) => (data['__typename'] === 'Query' ? 'yes' : `wrong answer ${JSON.stringify(data)}`),
        (error: unknown) => `no: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const healthz = aliveAfterRun ? await client.probe('/healthz') : '-';
    const readyz = aliveAfterRun ? await client.probe('/readyz') : '-';
    rss.stop();
    await client.close();
    const exitDuringRun = gateway.hasExited ? describeExit(await gateway.exited) : undefined;
    const stopStartedAt = performance.now();
    await gateway.stop();
    const stopStatus = describeExit(await gateway.exited);
    const stopMs = performance.now() - stopStartedAt;
    const memory = memoryReport(rss.samples, rss.heapSamples, settings.maxRssGrowthMb);
    const totals = outcomes.totals();
    const latency: LatencySummary = summarizeLatencies(totals.latenciesMs);

    printQueries(outcomes);
    printErrors(outcomes);
    printFaults(upstreamStats, outcomes, settings.faultPercent);
    printMemory(memory);
    console.log('\nGateway process');
    console.log(`  alive after the run: ${aliveAfterRun ? 'yes' : `NO (${exitDuringRun ?? 'gone'})`}; answers { __typename } after: ${answersAfterRun}`);
    console.log(`  GET /healthz: ${healthz}; GET /readyz: ${readyz}`);
    console.log(`  stopped by SIGTERM: ${stopStatus}, in ${decimal(stopMs, 0)} ms`);
    console.log(`  unhandled rejections / uncaught exceptions in its output: ${watch.crashLines.length === 0 ? 'none' : watch.crashLines.length}`);
    for (const line of watch.crashLines.slice(0, 10)) console.log(`    ${line}`);
    console.log(`  stderr lines: ${watch.stderrLines}${watch.stderrSamples.length ? `, e.g. ${watch.stderrSamples.slice(0, 3).join(' | ')}` : ''}`);
    const errorLogs = sortedEntries(watch.errorLogs);
    console.log(`  error logs: ${errorLogs.length === 0 ? 'none' : errorLogs.slice(0, 8).map(([message, n]) => `${n}x "${message}"`).join('; ')}`);
    const warnLogs = sortedEntries(watch.warnLogs);
    console.log(`  warn logs: ${warnLogs.length === 0 ? 'none' : warnLogs.slice(0, 8).map(([message, n]) => `${n}x "${message}"`).join('; ')}`);
    console.log(`  driver: at most ${decimal(outcomes.maxSendLagMs, 1)} ms late sending a query; all answered or timed out: ${run.drained ? 'yes' : 'NO'}`);

    const failures: string[] = [];
    if (!aliveAfterRun) failures.push(`the gateway exited during the run (${exitDuringRun ?? 'gone'})`);
    else if (answersAfterRun !== 'yes') failures.push(`the gateway no longer answers: ${answersAfterRun}`);
    if (watch.crashLines.length > 0) failures.push(`${watch.crashLines.length} unhandled rejection / uncaught exception line(s) in the gateway's output`);
    if (!memory.withinBound) failures.push(`RSS grew ${decimal(memory.fittedGrowthMib)} MiB over the measured run (bound ${memory.boundMib} MiB)`);
    if (totals.answered === 0) failures.push('no query was answered');
    if (!run.drained) failures.push(`queries still unanswered ${DRAIN_TIMEOUT_MS / 1000} s after the last was sent`);

    await mkdir(RESULTS_DIRECTORY, { recursive: true });
    await writeFile(
      RESULTS_FILE,
      `${JSON.stringify(
        {
          generatedAt: new Date().toISOString(),
          machine: { node: process.version, cpus: availableParallelism() },
          settings: { ...settings, simulatorLatencyMs: SIMULATOR_LATENCY_MS, queryTimeoutMs: QUERY_TIMEOUT_MS },
          queryMix: QUERY_KINDS.map((kind) => ({ name: kind.name, weight: kind.weight })),
          faultMix: SOAK_FAULT_KINDS.map((kind) => ({ label: kind.label, share: kind.share })),
          faultRules: fraction > 0 ? soakFaultRules(fraction) : [],
          queries: {
            ...Object.fromEntries([...outcomes.byKind].map(([name, tally]) => [name, { ...tally, latenciesMs: undefined, latencyMs: summarizeLatencies(tally.latenciesMs) }])),
          },
          totals: { ...totals, latenciesMs: undefined, latencyMs: latency, elapsedMs: run.elapsedMs, maxSendLagMs: outcomes.maxSendLagMs },
          graphqlErrors: { total: outcomes.graphqlErrors, byCode: outcomes.errorCodes, byCodeAndUpstream: outcomes.errorCodesByUpstream },
          httpErrors: outcomes.httpErrors,
          failureSamples: outcomes.samples,
          upstream: upstreamStats,
          memory,
          rssSamples: rss.samples,
          heapUsedSamples: rss.heapSamples,
          gateway: { aliveAfterRun, answersAfterRun, healthz, readyz, stopStatus, crashLines: watch.crashLines, stderrLines: watch.stderrLines, errorLogs: watch.errorLogs, warnLogs: watch.warnLogs },
          failures,
        },
        null,
        2,
      )}\n`,
    );
    console.log(`\nwritten to ${fileURLToPath(RESULTS_FILE)}`);
    for (const failure of failures) console.error(`FAILED: ${failure}`);
    if (failures.length === 0) console.log('soak passed: the gateway stayed up, answered, logged no unhandled error, and its memory stayed within the bound');
    return failures.length > 0 ? 1 : 0;
  } finally {
    rss.stop();
    await client.close().catch(() => undefined);
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  // After Ctrl-C, errors are only the echo of the children being stopped.
  if (exitCodeAfterInterruption() === undefined) {
    console.error(`\nsoak failed: ${error instanceof Error ? error.message : String(error)}`);
  }
} finally {
  await stopAllChildren();
}
process.exit(exitCodeAfterInterruption() ?? exitCode);
