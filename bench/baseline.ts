// The cost floor the gateway is compared with: the same upstream fan-out as the nested query,
// written by hand with undici and no GraphQL. Run by `npm run bench` in its own process, so that
// its CPU time is its own; it prints one report line (see support/baseline-report.ts).
import { Pool } from 'undici';
import { baselineReportLine } from './support/baseline-report.ts';
import { ownCpuClock, processTreeCpuClock, type CpuClock } from './support/cpu.ts';
import { requiredEnv } from './support/env.ts';
import { runPhase } from './support/load.ts';
import { SimulatorCounters, upstreamEnvFromProcess, type UpstreamEnv } from './support/simulators.ts';
import { loadPlans, personDraws, repeatedReadsPlans, USERS_PER_QUERY, workloadCountsFromEnv } from './support/workload.ts';

/** The gateway's default UPSTREAM_TIMEOUT_MS; its connections per upstream are handed down by the bench. */
const TIMEOUT_MS = 10_000;
/** Bounds a walk through `Link` headers, as the gateway does. */
const MAX_PAGES_PER_LIST = 200;

// ---- upstream JSON, only the fields read here ----

interface GateUser {
  id: string;
  username: string;
}
interface GateUserToken {
  username: string;
  is_active: boolean;
  balance_seconds: number;
}
interface GateUserExtra {
  parent: number;
  preferences: unknown;
}
interface GateList<T> {
  results: T[];
}
interface EdgeUser {
  id: string;
  username: string;
}
interface SwitchUser {
  user_id: number;
  name: string;
}
interface SwitchEnvelope {
  success: boolean;
  payload?: { items: SwitchUser[] };
}

interface JsonReply<T> {
  body: T;
  /** The reply's `Link` targets by relation (`next`, `last`, ...). */
  links: Map<string, string>;
}

/** The targets of an RFC 5988 `Link` header by relation; one link may name several (`rel="next last"`). */
function linksOf(header: string | string[] | undefined): Map<string, string> {
  const links = new Map<string, string>();
  const value = Array.isArray(header) ? header.join(',') : header;
  for (const part of value ? value.split(',') : []) {
    const match = /<([^>]*)>\s*;\s*rel="?([a-z ]+)"?/.exec(part.trim());
    for (const relation of match ? (match[2] as string).split(' ') : []) {
      if (relation && !links.has(relation)) links.set(relation, match?.[1] as string);
    }
  }
  return links;
}

/**
 * What edge's links have shown of its page parameters, learned as the gateway learns them: of
 * the parameters a full first page's `next` link adds, the one whose value is the page's length is
 * the size, the other the page number.
 */
const edgePaging: { sizeParam?: string; pageParam?: string } = {};

function learnEdgePaging(requested: string, served: number, links: Map<string, string>): void {
  const next = links.get('next');
  if ((edgePaging.sizeParam && edgePaging.pageParam) || !next || served === 0) return;
  const asked = new URL(requested, 'http://edge').searchParams;
  for (const [name, value] of new URL(next).searchParams) {
    if (asked.has(name)) continue;
    if (value === String(served)) edgePaging.sizeParam = name;
    else edgePaging.pageParam = name;
  }
}

/** The query string that asks edge for its largest pages, once its links have named the size parameter. */
const edgeLargePages = (separator: '?' | '&') => (edgePaging.sizeParam ? `${separator}${edgePaging.sizeParam}=500` : '');

/** One keep-alive pool per upstream, sending that upstream's credentials with every call. */
class UpstreamPool {
  readonly #name: string;
  readonly #pool: Pool;
  readonly #basePath: string;
  readonly #headers: Record<string, string>;

  constructor(name: string, baseUrl: string, credentials: Record<string, string>, connections: number) {
    const url = new URL(baseUrl);
    this.#name = name;
    this.#basePath = url.pathname.replace(/\/+$/, '');
    this.#headers = { accept: 'application/json', ...credentials };
    this.#pool = new Pool(url.origin, {
      connections,
      keepAliveTimeout: 30_000,
      headersTimeout: TIMEOUT_MS,
      bodyTimeout: TIMEOUT_MS,
    });
  }

  /** GET a path below the API prefix, e.g. `/user/?limit=50`. */
  get<T>(pathBelowPrefix: string): Promise<JsonReply<T>> {
    return this.#getPath(this.#basePath + pathBelowPrefix);
  }

  /** GET a URL the upstream handed out; only its path is used, so credentials stay on this origin. */
  getLinked<T>(url: string): Promise<JsonReply<T>> {
    const { pathname, search } = new URL(url);
    return this.#getPath(pathname + search);
  }

  async #getPath<T>(path: string): Promise<JsonReply<T>> {
    const response = await this.#pool.request({ method: 'GET', path, headers: this.#headers });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`${this.#name} answered ${response.statusCode} to GET ${path}`);
    return { body: JSON.parse(text) as T, links: linksOf(response.headers.link) };
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}

interface Upstreams {
  gate: UpstreamPool;
  edge: UpstreamPool;
  switch: UpstreamPool;
}

function openUpstreams(env: UpstreamEnv, connections: number): Upstreams {
  const basic = Buffer.from(`${env.EDGE_USERNAME}:${env.EDGE_PASSWORD}`).toString('base64');
  return {
    gate: new UpstreamPool('gate', env.GATE_URL, { authorization: `Bearer ${env.GATE_TOKEN}` }, connections),
    edge: new UpstreamPool('edge', env.EDGE_URL, { authorization: `Basic ${basic}` }, connections),
    switch: new UpstreamPool('switch', env.SWITCH_URL, { 'x-auth-token': env.SWITCH_TOKEN }, connections),
  };
}

// ---- the fan-out of the nested query ----

/** What the nested query selects for one user. */
interface PersonResult {
  username: string;
  token: { isActive: boolean } | null;
  balance: { seconds: number } | null;
  extra: { preferences: unknown } | null;
  edgeAccount: { id: string } | null;
  loginHistory: { totalCount: number };
  switchAccount: { userId: number } | null;
}

const query = encodeURIComponent;

async function findToken(upstreams: Upstreams, username: string): Promise<GateUserToken | null> {
  const { body } = await upstreams.gate.get<GateList<GateUserToken>>(`/user_token/?username=${query(username)}&balance=true`);
  return body.results.find((token) => token.username === username) ?? null;
}

async function findExtra(upstreams: Upstreams, gateId: string): Promise<GateUserExtra | null> {
  const { body } = await upstreams.gate.get<GateList<GateUserExtra>>(`/user_extra/?parent=${query(gateId)}`);
  return body.results.find((extra) => String(extra.parent) === gateId) ?? null;
}

async function findSwitchUser(upstreams: Upstreams, name: string): Promise<SwitchUser | null> {
  const { body } = await upstreams.switch.get<SwitchEnvelope>(`/user/list?name=${query(name)}&page=0&per_page=100`);
  if (!body.success || !body.payload) throw new Error(`switch refused the user list for ${name}`);
  return body.payload.items.find((user) => user.name === name) ?? null;
}

/** edge's username filter is a case-insensitive substring: walk its pages until the exact one. */
async function findEdgeUser(upstreams: Upstreams, username: string): Promise<EdgeUser | null> {
  const path = `/users/?username=${query(username)}${edgeLargePages('&')}`;
  let reply = await upstreams.edge.get<EdgeUser[]>(path);
  learnEdgePaging(path, reply.body.length, reply.links);
  for (let page = 1; page <= MAX_PAGES_PER_LIST; page++) {
    const found = reply.body.find((user) => user.username === username);
    if (found) return found;
    const next = reply.links.get('next');
    if (next === undefined) return null;
    reply = await upstreams.edge.getLinked<EdgeUser[]>(next);
  }
  throw new Error(`edge kept linking to more pages of the search for ${username}`);
}

/** The length of a login history: its first page, and its last when there are more (the pages between are full). */
async function countLoginHistory(upstreams: Upstreams, edgeId: string): Promise<number> {
  const path = `/users/${query(edgeId)}/history/${edgeLargePages('?')}`;
  const first = await upstreams.edge.get<unknown[]>(path);
  learnEdgePaging(path, first.body.length, first.links);
  const last = first.links.get('last');
  if (first.links.get('next') === undefined) return first.body.length;
  if (last === undefined || !edgePaging.pageParam) throw new Error('edge sent a next link without a last one');
  const lastPage = Number(new URL(last).searchParams.get(edgePaging.pageParam));
  const { body } = await upstreams.edge.getLinked<unknown[]>(last);
  return (lastPage - 1) * first.body.length + body.length;
}

async function findEdgeAccountWithHistory(upstreams: Upstreams, username: string) {
  const account = await findEdgeUser(upstreams, username);
  const historyLength = account ? await countLoginHistory(upstreams, account.id) : 0;
  return { account, historyLength };
}

async function fetchPerson(upstreams: Upstreams, user: GateUser): Promise<PersonResult> {
  const [token, extra, switchUser, edge] = await Promise.all([
    findToken(upstreams, user.username),
    findExtra(upstreams, user.id),
    findSwitchUser(upstreams, user.username),
    findEdgeAccountWithHistory(upstreams, user.username),
  ]);
  return {
    username: user.username,
    token: token && { isActive: token.is_active },
    balance: token && { seconds: token.balance_seconds },
    extra: extra && { preferences: extra.preferences },
    edgeAccount: edge.account && { id: edge.account.id },
    loginHistory: { totalCount: edge.historyLength },
    switchAccount: switchUser && { userId: switchUser.user_id },
  };
}

async function fetchNestedUsers(upstreams: Upstreams): Promise<PersonResult[]> {
  const { body } = await upstreams.gate.get<GateList<GateUser>>(`/user/?limit=${USERS_PER_QUERY}&offset=0`);
  return Promise.all(body.results.map((user) => fetchPerson(upstreams, user)));
}

async function runOneIteration(upstreams: Upstreams): Promise<void> {
  const people = await fetchNestedUsers(upstreams);
  if (people.length !== USERS_PER_QUERY) throw new Error(`baseline got ${people.length} users, expected ${USERS_PER_QUERY}`);
}

/** The person query of the repeated-reads row: the gate user by username, then the same fan-out. */
async function fetchOnePerson(upstreams: Upstreams, username: string): Promise<void> {
  const { body: user } = await upstreams.gate.get<GateUser>(`/user/username/${query(username)}/`);
  const person = await fetchPerson(upstreams, user);
  if (person.username !== username) throw new Error(`baseline asked for ${username}, got ${person.username}`);
}

// ---- main ----

function cpuClocks(): Record<string, CpuClock> {
  const simulatorsPid = Number(process.env['BENCH_SIMULATORS_PID']);
  return {
    baseline: ownCpuClock,
    ...(Number.isInteger(simulatorsPid) && simulatorsPid > 0 ? { simulators: processTreeCpuClock(simulatorsPid) } : {}),
  };
}

async function main(): Promise<void> {
  const env = upstreamEnvFromProcess();
  const upstreams = openUpstreams(env, Number(requiredEnv('BENCH_UPSTREAM_CONNECTIONS')));
  const counts = workloadCountsFromEnv();
  const latencyMs = Number(requiredEnv('BENCH_UPSTREAM_LATENCY_MS'));
  const repeatedReads = process.env['BENCH_WORKLOAD'] === 'repeated reads';
  const plans = repeatedReads ? repeatedReadsPlans(counts, latencyMs) : loadPlans(counts, latencyMs);
  const draw = personDraws();
  const task = repeatedReads ? () => fetchOnePerson(upstreams, draw()) : () => runOneIteration(upstreams);
  const measuring = { counters: new SimulatorCounters(env), cpuClocks: cpuClocks() };
  try {
    console.log(baselineReportLine(await runPhase(plans, task, measuring)));
  } finally {
    await Promise.all([upstreams.gate.close(), upstreams.edge.close(), upstreams.switch.close()]);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
