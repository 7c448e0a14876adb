// What both the gateway run and the baseline do, so that their numbers compare.
import { createDataset } from '../../src/simulators/dataset.ts';
import { positiveIntegerFromEnv } from './env.ts';
import { seededRandom } from './random.ts';

/** The nested query asks for this many users; the baseline fetches the same ones. */
export const USERS_PER_QUERY = 50;
/** Added by the simulators to every upstream API call in the rows that compare with the peers. */
export const UPSTREAM_LATENCY_MS = 20;

/** The query of `npm run bench` (and one of the soak's mix): 50 people with a relation on every upstream. */
export const NESTED_QUERY =
  'query Nested { users(first: 50) { edges { node { token { isActive } balance { seconds } extra { preferences } edgeAccount { id } loginHistory(first: 3) { totalCount } switchAccount { userId } } } } }';

/**
 * The row of repeated reads (issue 23): each client asks for one person at a time, drawn at random
 * from the first 50 gate users (those the nested query asks for), with a relation on every upstream:
 * what dashboards do, and what the upstream cache is for.
 */
export const PERSON_QUERY =
  'query Person($username: String!) { user(username: $username) { token { isActive } balance { seconds } extra { preferences } edgeAccount { id } loginHistory(first: 3) { totalCount } switchAccount { userId } } }';
export const REPEATED_READS_PEOPLE = 50;
export const REPEATED_READS_CLIENTS = 20;
/** The repeated-reads row's draws are the same run after run. */
export const REPEATED_READS_SEED = 23;

export interface WorkloadCounts {
  /** unmeasured queries first, at one client, so that the JIT and the connection pools are warm */
  warmup: number;
  /** queries in a row of 1 client */
  singleClient: number;
  /** queries in a row of 20 clients, in total (rounded up to a multiple of them) */
  twentyClients: number;
  /** queries in a row of 50 clients, in total (rounded up to a multiple of them) */
  fiftyClients: number;
  /** queries in the row of repeated reads, in total (rounded up to a multiple of its 20 clients) */
  repeatedReads: number;
}

const COUNT_VARIABLES = {
  warmup: 'BENCH_WARMUP',
  singleClient: 'BENCH_QUERIES_1',
  twentyClients: 'BENCH_QUERIES_20',
  fiftyClients: 'BENCH_QUERIES_50',
  repeatedReads: 'BENCH_QUERIES_REPEATED',
} as const;

export function workloadCountsFromEnv(): WorkloadCounts {
  return {
    warmup: positiveIntegerFromEnv(COUNT_VARIABLES.warmup, 20),
    singleClient: positiveIntegerFromEnv(COUNT_VARIABLES.singleClient, 100),
    twentyClients: positiveIntegerFromEnv(COUNT_VARIABLES.twentyClients, 600),
    fiftyClients: positiveIntegerFromEnv(COUNT_VARIABLES.fiftyClients, 1000),
    repeatedReads: positiveIntegerFromEnv(COUNT_VARIABLES.repeatedReads, 2000),
  };
}

/** The same counts as env variables, for a child process to read with workloadCountsFromEnv. */
export function workloadCountsAsEnv(counts: WorkloadCounts): Record<string, string> {
  return Object.fromEntries(Object.entries(COUNT_VARIABLES).map(([key, variable]) => [variable, String(counts[key as keyof WorkloadCounts])]));
}

export interface LoadPlan {
  name: string;
  /** added by the simulators to every upstream call while it runs */
  upstreamLatencyMs: number;
  /** each client runs its queries one after another */
  clients: number;
  queriesPerClient: number;
}

/** The upstream latencies the bench runs at, each with its own simulators, gateway and baseline. */
export const UPSTREAM_LATENCIES_MS = [UPSTREAM_LATENCY_MS, 0] as const;

/** Clients per row at each latency: 50 clients only where the upstreams take their time. */
const CLIENTS_AT = (latencyMs: number): readonly number[] => (latencyMs > 0 ? [1, 20, 50] : [1, 20]);

function planName(clients: number, latencyMs: number): string {
  return `${clients} client${clients === 1 ? '' : 's'}, ${latencyMs} ms`;
}

/** The warm-up and the measured rows at one upstream latency, in the order they run. */
export function loadPlans(counts: WorkloadCounts, upstreamLatencyMs: number): { warmup: LoadPlan; rows: LoadPlan[] } {
  const total = (clients: number) => (clients === 1 ? counts.singleClient : clients === 20 ? counts.twentyClients : counts.fiftyClients);
  return {
    warmup: { name: 'warm-up', upstreamLatencyMs, clients: 1, queriesPerClient: counts.warmup },
    rows: CLIENTS_AT(upstreamLatencyMs).map((clients) => ({
      name: planName(clients, upstreamLatencyMs),
      upstreamLatencyMs,
      clients,
      queriesPerClient: Math.ceil(total(clients) / clients),
    })),
  };
}

/** The warm-up (one client) and the one row of repeated reads, at one upstream latency. */
export function repeatedReadsPlans(counts: WorkloadCounts, upstreamLatencyMs: number): { warmup: LoadPlan; rows: LoadPlan[] } {
  const clients = REPEATED_READS_CLIENTS;
  return {
    warmup: { name: 'warm-up', upstreamLatencyMs, clients: 1, queriesPerClient: counts.warmup },
    rows: [{ name: `${clients} clients, people from ${REPEATED_READS_PEOPLE}, ${upstreamLatencyMs} ms`, upstreamLatencyMs, clients, queriesPerClient: Math.ceil(counts.repeatedReads / clients) }],
  };
}

/** The usernames the repeated-reads row draws from, one draw after another (seeded: the same sequence in every subject). */
export function personDraws(): () => string {
  const people = createDataset().gateUsers.slice(0, REPEATED_READS_PEOPLE).map((user) => user.username);
  const random = seededRandom(REPEATED_READS_SEED);
  return () => random.pick(people);
}
