// `npm run bench:peers`: the nested query of `npm run bench` served by two other GraphQL gateways
// over the same simulated upstreams (Tailcall, Hive Gateway with a Mesh-composed supergraph), next
// to our gateway and the hand-written baseline of the same run, with the peers' answers compared
// with the gateway's. The peers are installed on demand into bench/peers/.tools/. See
// bench/README.md, "Peers".
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { loadConfig } from '../src/server/config.ts';
import { HIVE_GATEWAY_BIN, MESH_COMPOSE_BIN, ensurePeerPackages, tailcallCommand, TOOLS_DIRECTORY, type TailcallCommand } from './peers/tools.ts';
import { exitCodeAfterInterruption, startChild, stopAllChildren, stopChildrenOnExit } from './support/children.ts';
import { describeErrors, GraphQLClient, type GraphQLAnswer } from './support/graphql-client.ts';
import type { PhaseReport, ScenarioResult } from './support/load.ts';
import { freePorts } from './support/ports.ts';
import { startSimulatorProcess, upstreamsEntryFromEnv, type UpstreamEnv } from './support/simulators.ts';
import { benchmarkBaseline, benchmarkGateway, nestedQueryTask, runServerPhase, withGateway, type SubjectSetting } from './support/subjects.ts';
import { decimal, formatTable, type Cell } from './support/table.ts';
import { loadPlans, NESTED_QUERY, UPSTREAM_LATENCIES_MS, USERS_PER_QUERY, workloadCountsFromEnv, type WorkloadCounts } from './support/workload.ts';

const REPOSITORY_ROOT = fileURLToPath(new URL('..', import.meta.url));
const PEER_CONFIGS = fileURLToPath(new URL('peers/', import.meta.url));
const RESULTS_DIRECTORY = new URL('results/', import.meta.url);
const RESULTS_FILE = new URL('peers-latest.json', RESULTS_DIRECTORY);
const PEER_STARTUP_TIMEOUT_MS = 60_000;

// ---- what each peer is asked, and its answer in the gateway's shape ----

/** The fields of one person that the nested query selects, as the gateway answers them. */
const PERSON_FIELDS = ['token', 'balance', 'extra', 'edgeAccount', 'loginHistory', 'switchAccount'] as const;
type Person = Partial<Record<(typeof PERSON_FIELDS)[number], unknown>>;

interface Peer {
  name: 'tailcall' | 'hive-gateway';
  /** the peer's query for the same data: its own schema, aliased to the gateway's names where it can */
  query: string;
  /** the people of an answer in the order gate lists them, or a reason why the answer has none */
  people(answer: GraphQLAnswer): Person[] | string;
}

/** The gateway's own shape: `users.edges[].node`. Tailcall's config serves the very same query. */
function peopleOfConnection(answer: GraphQLAnswer): Person[] | string {
  const edges = (answer.data?.['users'] as { edges?: { node?: Person }[] } | null | undefined)?.edges;
  if (!Array.isArray(edges)) return `no users.edges in ${JSON.stringify(answer).slice(0, 200)}`;
  return edges.map((edge) => edge.node ?? {});
}

/**
 * The gateway's answer as the peers can give it: its `edgeAccount.id` is a global id
 * (base64 of `EdgeUser:<edge id>`), the peers pass edge's own id through.
 */
function gatewayPeople(answer: GraphQLAnswer): Person[] | string {
  const people = peopleOfConnection(answer);
  if (typeof people === 'string') return people;
  return people.map((person) => {
    const account = person.edgeAccount as { id?: string } | null | undefined;
    if (!account?.id) return person;
    const decoded = Buffer.from(account.id, 'base64').toString('utf8');
    return { ...person, edgeAccount: { ...account, id: decoded.startsWith('EdgeUser:') ? decoded.slice('EdgeUser:'.length) : account.id } };
  });
}

const TAILCALL: Peer = { name: 'tailcall', query: NESTED_QUERY, people: peopleOfConnection };

/** Hive Gateway serves the Mesh-composed REST schema: gate's list of users, its field names aliased. */
const HIVE_GATEWAY: Peer = {
  name: 'hive-gateway',
  query:
    'query Nested { gateUsers(limit: 50, offset: 0) { results { token { isActive: is_active } balance: token { seconds: balance_seconds } extra { preferences } ' +
    'edgeAccount { id } loginHistory(first: 3) { totalCount } switchAccount { userId: user_id } } } }',
  people(answer) {
    const results = (answer.data?.['gateUsers'] as { results?: Person[] } | null | undefined)?.results;
    return Array.isArray(results) ? results : `no gateUsers.results in ${JSON.stringify(answer).slice(0, 200)}`;
  },
};

/** A load task for a peer: an HTTP answer with all the people. GraphQL errors are counted apart (correctness). */
function peerTask(client: GraphQLClient, peer: Peer) {
  return async () => {
    const people = peer.people(await client.post(peer.query));
    if (typeof people === 'string') throw new Error(people);
    if (people.length !== USERS_PER_QUERY) throw new Error(`expected ${USERS_PER_QUERY} people, got ${people.length}`);
  };
}

// ---- correctness: a peer's answer next to the gateway's ----

interface FieldDifference {
  field: string;
  /** people whose value differs from the gateway's */
  people: number;
  /** a few of them: username, the gateway's value, the peer's */
  examples: string[];
}

interface Correctness {
  /** GraphQL errors in the peer's answer (the load ignores them) */
  errors: number;
  errorSample?: string;
  differences: FieldDifference[];
  /** set when the answer could not be compared at all */
  unusable?: string;
}

/** JSON with object keys sorted, so that key order never counts as a difference. */
function canonical(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner) ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => a.localeCompare(b))) : inner,
  );
}

function compareAnswers(reference: Person[], answer: GraphQLAnswer, peer: Peer, usernames: readonly string[]): Correctness {
  const errors = answer.errors ?? [];
  const base = { errors: errors.length, ...(errors.length ? { errorSample: describeErrors(errors) } : {}) };
  const people = peer.people(answer);
  if (typeof people === 'string') return { ...base, differences: [], unusable: people };
  if (people.length !== reference.length) return { ...base, differences: [], unusable: `${people.length} people, the gateway ${reference.length}` };
  const differences = PERSON_FIELDS.map((field): FieldDifference => {
    const differing = reference.flatMap((expected, index) => {
      const [want, got] = [canonical(expected[field]), canonical(people[index]?.[field])];
      return want === got ? [] : [`${usernames[index] ?? `#${index}`}: gateway ${want}, ${peer.name} ${got}`];
    });
    return { field, people: differing.length, examples: differing.slice(0, 3) };
  });
  return { ...base, differences: differences.filter((difference) => difference.people > 0) };
}

// ---- the upstreams as the peers' configs need them ----

/** What a config author reads off the upstreams once: edge's page size parameter, from its links. */
async function edgePageSizeParameter(env: UpstreamEnv): Promise<string> {
  const response = await request(`${env.EDGE_URL}/users/`, { headers: { authorization: `Basic ${edgeBasic(env)}`, accept: 'application/json' } });
  const body = (await response.body.json()) as unknown[];
  const link = String(response.headers['link'] ?? '');
  // RFC 8288 allows several relations per link (`rel="next last"`).
  const next = link
    .split(',')
    .map((part) => /<([^>]*)>\s*;\s*rel="?([^"]*)"?/.exec(part.trim()))
    .find((match) => match?.[2]?.split(/\s+/).includes('next'))?.[1];
  if (!next) throw new Error('edge sent no next link for its user list: cannot learn its page parameters');
  const size = [...new URL(next).searchParams].find(([, value]) => value === String(body.length));
  if (!size) throw new Error(`edge's next link names no page size of ${body.length}: ${next}`);
  return size[0];
}

function edgeBasic(env: UpstreamEnv): string {
  return Buffer.from(`${env.EDGE_USERNAME}:${env.EDGE_PASSWORD}`).toString('base64');
}

/** The usernames of the people the nested query lists, for the correctness examples. */
async function firstUsernames(env: UpstreamEnv): Promise<string[]> {
  const response = await request(`${env.GATE_URL}/user/?limit=${USERS_PER_QUERY}&offset=0`, { headers: { authorization: `Bearer ${env.GATE_TOKEN}` } });
  const body = (await response.body.json()) as { results?: { username: string }[] };
  return (body.results ?? []).map((user) => user.username);
}

// ---- the peers' processes ----

interface StagedConfigs {
  tailcallConfig: string;
  hiveDirectory: string;
  supergraph: string;
}

/**
 * Copies the peers' configs into .tools/run/, with what this run decides filled in: ports, pool
 * size, edge's size parameter. (Run from there, the Hive configs find their packages in .tools/.)
 */
function stageConfigs(options: { tailcallPort: number; connections: number; edgeSizeParam: string; env: UpstreamEnv }): StagedConfigs {
  const run = `${TOOLS_DIRECTORY}run/`;
  const tailcallDirectory = `${run}tailcall/`;
  const hiveDirectory = `${run}hive/`;
  mkdirSync(tailcallDirectory, { recursive: true });
  mkdirSync(hiveDirectory, { recursive: true });
  const tailcall = readFileSync(`${PEER_CONFIGS}tailcall/nested.graphql`, 'utf8')
    .replace('port: 8000', `port: ${options.tailcallPort}`)
    .replace('poolMaxIdlePerHost: 256', `poolMaxIdlePerHost: ${options.connections}`)
    .replaceAll('EDGE_PAGE_SIZE_PARAM', options.edgeSizeParam);
  writeFileSync(`${tailcallDirectory}nested.graphql`, tailcall);
  copyFileSync(`${PEER_CONFIGS}tailcall/nested.js`, `${tailcallDirectory}nested.js`);
  writeFileSync(`${hiveDirectory}mesh.config.mjs`, readFileSync(`${PEER_CONFIGS}hive/mesh.config.mjs`, 'utf8').replaceAll('EDGE_PAGE_SIZE_PARAM', options.edgeSizeParam));
  copyFileSync(`${PEER_CONFIGS}hive/gateway.config.mjs`, `${hiveDirectory}gateway.config.mjs`);
  // Composition reads no upstream (the JSON schemas are inline): the env placeholders stay for the gateway.
  const supergraph = `${hiveDirectory}supergraph.graphql`;
  execFileSync(MESH_COMPOSE_BIN, ['-o', supergraph], { cwd: hiveDirectory, env: { ...process.env, ...options.env }, stdio: ['ignore', 'ignore', 'inherit'] });
  return { tailcallConfig: `${tailcallDirectory}nested.graphql`, hiveDirectory, supergraph };
}

function peerEnv(env: UpstreamEnv): Record<string, string> {
  return { ...env, EDGE_BASIC: edgeBasic(env) };
}

function startPeer(peer: Peer, staged: StagedConfigs, tailcall: TailcallCommand, env: UpstreamEnv, port: number) {
  if (peer === TAILCALL) {
    return startChild({
      name: peer.name,
      command: tailcall.command,
      args: ['start', staged.tailcallConfig],
      cwd: REPOSITORY_ROOT,
      // Its per-request log lines and its usage tracker (which calls home) are off.
      env: { ...peerEnv(env), ...tailcall.env, TAILCALL_LOG_LEVEL: 'error', TC_LOG_LEVEL: 'error', TAILCALL_TRACKER: 'false', TC_TRACKER: 'false' },
    });
  }
  return startChild({
    name: peer.name,
    command: process.execPath,
    args: [HIVE_GATEWAY_BIN, 'supergraph', staged.supergraph, '--port', String(port), '--host', '127.0.0.1'],
    cwd: staged.hiveDirectory,
    env: peerEnv(env),
  });
}

interface PeerRun {
  report: PhaseReport;
  /** none when the gateway gave no reference answer */
  correctness?: Correctness;
}

async function benchmarkPeer(peer: Peer, setting: SubjectSetting, staged: StagedConfigs, tailcall: TailcallCommand, port: number, reference: Person[] | undefined, usernames: readonly string[]): Promise<PeerRun> {
  const child = startPeer(peer, staged, tailcall, setting.upstreamEnv, port);
  const client = new GraphQLClient(port);
  try {
    await client.waitUntilAnswering(PEER_STARTUP_TIMEOUT_MS, child.exited).catch((error: unknown) => {
      throw new Error(`${peer.name}: ${error instanceof Error ? error.message : String(error)}\n${child.outputTail()}`);
    });
    const correctness = reference && compareAnswers(reference, await client.post(peer.query), peer, usernames);
    const report = await runServerPhase(setting, { name: peer.name, pid: child.pid }, peerTask(client, peer));
    return correctness ? { report, correctness } : { report };
  } finally {
    await client.close();
    await child.stop();
  }
}

// ---- one latency: simulators, then each subject alone on them ----

const SUBJECTS = ['gateway', 'gateway unshared', 'baseline', 'tailcall', 'hive-gateway'] as const;
type Subject = (typeof SUBJECTS)[number];

interface Phase {
  upstreamLatencyMs: number;
  /** the rows of each subject that ran to the end */
  reports: Partial<Record<Subject, PhaseReport>>;
  /** why a subject has no rows (it failed to start, or a warm-up query failed) */
  failed: Partial<Record<Subject, string>>;
  correctness: Record<string, Correctness>;
}

interface RunContext {
  counts: WorkloadCounts;
  connections: number;
  upstreamsEntry: string;
  tailcall: TailcallCommand;
}

/** Runs one subject; its failure is recorded and the next subject runs (the others still compare). */
async function attempt<T>(phase: Phase, subject: Subject, run: () => Promise<T>): Promise<T | undefined> {
  console.log(`${phase.upstreamLatencyMs} ms upstream latency: ${subject} rows running`);
  try {
    return await run();
  } catch (error) {
    if (exitCodeAfterInterruption() !== undefined) throw error;
    const message = error instanceof Error ? error.message : String(error);
    console.error(`FAILED: ${subject} at ${phase.upstreamLatencyMs} ms: ${message}`);
    phase.failed[subject] = message.split('\n')[0] ?? message;
    return undefined;
  }
}

async function runLatency(context: RunContext, latencyMs: number): Promise<Phase> {
  const [gatePort, edgePort, switchPort, gatewayPort, tailcallPort, hivePort] = (await freePorts(6)) as [number, number, number, number, number, number];
  const simulators = await startSimulatorProcess({
    repositoryRoot: REPOSITORY_ROOT,
    latencyMs,
    ports: { gate: gatePort, edge: edgePort, switch: switchPort },
    entry: context.upstreamsEntry,
  });
  const phase: Phase = { upstreamLatencyMs: latencyMs, reports: {}, failed: {}, correctness: {} };
  try {
    const setting: SubjectSetting = { repositoryRoot: REPOSITORY_ROOT, upstreamEnv: simulators.env, simulators: simulators.child, counts: context.counts, latencyMs };
    const edgeSizeParam = await edgePageSizeParameter(simulators.env);
    const staged = stageConfigs({ tailcallPort, connections: context.connections, edgeSizeParam, env: simulators.env });
    const usernames = await firstUsernames(simulators.env);

    const gatewayRun = await attempt(phase, 'gateway', () =>
      withGateway(setting, gatewayPort, async (child, client) => {
        // The reference answer: read before the load, from the same upstreams (the query only reads).
        const people = gatewayPeople(await client.postWithoutErrors(NESTED_QUERY));
        if (typeof people === 'string') throw new Error(`gateway: ${people}`);
        return { reference: people, report: await runServerPhase(setting, { name: 'gateway', pid: child.pid }, nestedQueryTask(client)) };
      }),
    );
    if (gatewayRun) phase.reports.gateway = gatewayRun.report;
    const unshared = await attempt(phase, 'gateway unshared', () => benchmarkGateway(setting, gatewayPort, 'gateway unshared'));
    if (unshared) phase.reports['gateway unshared'] = unshared;
    const baseline = await attempt(phase, 'baseline', () => benchmarkBaseline(setting, context.connections));
    if (baseline) phase.reports.baseline = baseline;
    for (const [peer, port] of [[TAILCALL, tailcallPort], [HIVE_GATEWAY, hivePort]] as const) {
      const run = await attempt(phase, peer.name, () => benchmarkPeer(peer, setting, staged, context.tailcall, port, gatewayRun?.reference, usernames));
      if (!run) continue;
      phase.reports[peer.name] = run.report;
      if (run.correctness) phase.correctness[peer.name] = run.correctness;
    }
    return phase;
  } finally {
    await simulators.child.stop();
  }
}

// ---- report ----

function rowsTable(phases: readonly Phase[], counts: WorkloadCounts): string {
  const headers = ['row', 'subject', 'queries', 'failed', 'queries/s', 'p50', 'p99', 'CPU/query', 'upstream calls/query', 'x baseline: queries/s', 'p50', 'p99', 'CPU/query'];
  const ratio = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? '-' : `${decimal(value, 2)}x`);
  const body = phases.flatMap((phase) =>
    loadPlans(counts, phase.upstreamLatencyMs).rows.flatMap((plan, index) =>
      SUBJECTS.map((subject): Cell[] => {
        const result = phase.reports[subject]?.rows[index];
        if (!result) return [plan.name, subject, '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', `FAILED: ${(phase.failed[subject] ?? 'did not run').slice(0, 80)}`];
        const baseline = phase.reports.baseline?.rows[index];
        const cpu = result.cpuMsPerQuery[subject] ?? Number.NaN;
        const baselineCpu = baseline?.cpuMsPerQuery['baseline'];
        return [
          result.name,
          subject,
          result.queries,
          result.failures,
          decimal(result.queriesPerSecond),
          decimal(result.latencyMs.p50),
          decimal(result.latencyMs.p99),
          decimal(cpu, 2),
          decimal(result.upstreamRequests.perQuery, 1),
          ratio(baseline && result.queriesPerSecond / baseline.queriesPerSecond),
          ratio(baseline && result.latencyMs.p50 / baseline.latencyMs.p50),
          ratio(baseline && result.latencyMs.p99 / baseline.latencyMs.p99),
          ratio(baselineCpu === undefined ? undefined : cpu / baselineCpu),
        ];
      }),
    ),
  );
  return formatTable(headers, body);
}

/**
 * Issue 22's goals for the gateway without shared reads, in every row: CPU per query at most
 * Tailcall's and 1.25x the baseline's; at 20 clients, queries/s at least Tailcall's and 0.9x the baseline's.
 */
function goalsTable(phases: readonly Phase[], counts: WorkloadCounts): { table: string; unmet: number } {
  const cpuOf = (subject: Subject, result: ScenarioResult | undefined) => (result ? (result.cpuMsPerQuery[subject] ?? Number.NaN) : Number.NaN);
  const goals = phases.flatMap((phase) =>
    loadPlans(counts, phase.upstreamLatencyMs).rows.flatMap((plan, index) => {
      const row = (subject: Subject) => phase.reports[subject]?.rows[index];
      const gateway = row('gateway unshared');
      const cpu = cpuOf('gateway unshared', gateway);
      const compared = [
        { measure: `CPU/query without sharing, ${plan.name} (x tailcall)`, value: cpu / cpuOf('tailcall', row('tailcall')), goal: '<= 1x', met: (value: number) => value <= 1 },
        { measure: `CPU/query without sharing, ${plan.name} (x baseline)`, value: cpu / cpuOf('baseline', row('baseline')), goal: '<= 1.25x', met: (value: number) => value <= 1.25 },
      ];
      if (plan.clients === 20) {
        const rate = gateway?.queriesPerSecond ?? Number.NaN;
        compared.push(
          { measure: `queries/s without sharing, ${plan.name} (x tailcall)`, value: rate / (row('tailcall')?.queriesPerSecond ?? Number.NaN), goal: '>= 1x', met: (value) => value >= 1 },
          { measure: `queries/s without sharing, ${plan.name} (x baseline)`, value: rate / (row('baseline')?.queriesPerSecond ?? Number.NaN), goal: '>= 0.9x', met: (value) => value >= 0.9 },
        );
      }
      return compared.map((goal) => ({ ...goal, ok: Number.isFinite(goal.value) && goal.met(goal.value) }));
    }),
  );
  const table = formatTable(['measure', 'gateway', 'goal', 'met'], goals.map((goal): Cell[] => [goal.measure, decimal(goal.value, 2), goal.goal, goal.ok ? 'yes' : 'NO']));
  return { table, unmet: goals.filter((goal) => !goal.ok).length };
}

function correctnessTable(phases: readonly Phase[]): string {
  const headers = ['latency', 'peer', 'GraphQL errors', 'field', 'people differing', 'example'];
  const body = phases.flatMap((phase) =>
    Object.entries(phase.correctness).flatMap(([peer, correctness]): Cell[][] => {
      const errors = correctness.errors ? `${correctness.errors} (${correctness.errorSample ?? ''})` : '0';
      if (correctness.unusable) return [[`${phase.upstreamLatencyMs} ms`, peer, errors, '(answer)', '-', correctness.unusable]];
      if (correctness.differences.length === 0) return [[`${phase.upstreamLatencyMs} ms`, peer, errors, '(none)', 0, 'same as the gateway']];
      return correctness.differences.map((difference): Cell[] => [`${phase.upstreamLatencyMs} ms`, peer, errors, difference.field, difference.people, difference.examples[0] ?? '']);
    }),
  );
  return formatTable(headers, body);
}

/** Subjects whose failures are the bench's: a peer that fails a query is news about the peer, not a failed run. */
const OWN_SUBJECTS: ReadonlySet<Subject> = new Set(['gateway', 'gateway unshared', 'baseline']);

/** Failed queries and failed subjects, printed; the count of our own (non-zero makes the exit code 1). */
function printFailures(phases: readonly Phase[]): number {
  let failed = 0;
  for (const phase of phases) {
    for (const subject of SUBJECTS) {
      const own = OWN_SUBJECTS.has(subject);
      const label = own ? 'FAILED' : 'peer failed';
      const reason = phase.failed[subject];
      if (reason) {
        if (own) failed++;
        console.error(`\n${label}: ${subject} at ${phase.upstreamLatencyMs} ms did not run its rows: ${reason}`);
      }
      for (const result of phase.reports[subject]?.rows ?? []) {
        if (result.failures === 0) continue;
        if (own) failed += result.failures;
        console.error(`\n${label}: ${subject}, ${result.name}: ${result.failures} of ${result.queries} queries failed, e.g.:`);
        for (const sample of result.failureSamples) console.error(`  ${sample}`);
      }
    }
  }
  return failed;
}

// ---- main ----

async function main(): Promise<number> {
  stopChildrenOnExit();
  const counts = workloadCountsFromEnv();
  const connections = loadConfig(process.env).upstreamConnections;
  const upstreams = upstreamsEntryFromEnv();
  ensurePeerPackages();
  const tailcall = tailcallCommand();
  console.log(
    `node ${process.version}, ${availableParallelism()} CPUs; upstreams: ${upstreams.name} (${upstreams.entry}); ${connections} connections per upstream; ` +
      `warm-up ${counts.warmup}, rows of 1 client ${counts.singleClient}, 20 clients ${counts.twentyClients}, 50 clients ${counts.fiftyClients} queries`,
  );
  if (tailcall.note) console.log(`tailcall: ${tailcall.note}`);
  const context: RunContext = { counts, connections, upstreamsEntry: upstreams.entry, tailcall };
  const phases: Phase[] = [];
  for (const latencyMs of UPSTREAM_LATENCIES_MS) phases.push(await runLatency(context, latencyMs));

  console.log(`\nPer row (upstreams: ${upstreams.name}; latency client side, ms; CPU ms/query of the subject's process tree; ratios to the hand-written baseline of the same run)`);
  console.log(rowsTable(phases, counts));
  console.log('\nCorrectness: each peer\'s answer to the nested query next to the gateway\'s, per field of the 50 people');
  console.log(correctnessTable(phases));
  for (const phase of phases) {
    for (const [peer, correctness] of Object.entries(phase.correctness)) {
      for (const difference of correctness.differences) {
        for (const example of difference.examples.slice(1)) console.log(`  ${phase.upstreamLatencyMs} ms, ${peer}, ${difference.field}: ${example}`);
      }
    }
  }
  const goals = goalsTable(phases, counts);
  console.log('\nGoals (issue 22)');
  console.log(goals.table);
  const failures = printFailures(phases);
  await mkdir(RESULTS_DIRECTORY, { recursive: true });
  await writeFile(
    RESULTS_FILE,
    `${JSON.stringify({ generatedAt: new Date().toISOString(), upstreams, machine: { node: process.version, cpus: availableParallelism() }, workload: { ...counts, upstreamConnections: connections }, tailcall: tailcall.note, phases }, null, 2)}\n`,
  );
  console.log(`\nwritten to ${fileURLToPath(RESULTS_FILE)}`);
  return failures > 0 ? 1 : 0;
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  if (exitCodeAfterInterruption() === undefined) console.error(`\nbench:peers failed: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await stopAllChildren();
}
process.exit(exitCodeAfterInterruption() ?? exitCode);
