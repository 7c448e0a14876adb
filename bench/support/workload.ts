// What both the gateway run and the baseline do, so that their numbers compare.
import { positiveIntegerFromEnv } from './env.ts';

/** The nested query asks for this many users; the baseline fetches the same ones. */
export const USERS_PER_QUERY = 50;
/** Added by the simulators to every upstream API call in the rows that compare with the peers. */
export const UPSTREAM_LATENCY_MS = 20;

/** The query of `npm run bench` (and one of the soak's mix): 50 people with a relation on every upstream. */
export const NESTED_QUERY =
  'query Nested { users(first: 50) { edges { node { token { isActive } balance { seconds } extra { preferences } edgeAccount { id } loginHistory(first: 3) { totalCount } switchAccount { userId } } } } }';

export interface WorkloadCounts {
  /** unmeasured queries first, at one client, so that the JIT and the connection pools are warm */
  warmup: number;
  /** queries in a row of 1 client */
  singleClient: number;
  /** queries in a row of 20 clients, in total (rounded up to a multiple of them) */
  twentyClients: number;
  /** queries in a row of 50 clients, in total (rounded up to a multiple of them) */
  fiftyClients: number;
}

const COUNT_VARIABLES = { warmup: 'BENCH_WARMUP', singleClient: 'BENCH_QUERIES_1', twentyClients: 'BENCH_QUERIES_20', fiftyClients: 'BENCH_QUERIES_50' } as const;

export function workloadCountsFromEnv(): WorkloadCounts {
  return {
    warmup: positiveIntegerFromEnv(COUNT_VARIABLES.warmup, 20),
    singleClient: positiveIntegerFromEnv(COUNT_VARIABLES.singleClient, 100),
    twentyClients: positiveIntegerFromEnv(COUNT_VARIABLES.twentyClients, 600),
    fiftyClients: positiveIntegerFromEnv(COUNT_VARIABLES.fiftyClients, 1000),
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
