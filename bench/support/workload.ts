// What both the gateway run and the baseline do, so that their numbers compare.
import { positiveIntegerFromEnv } from './env.ts';

/** The nested query asks for this many users; the baseline fetches the same ones. */
export const USERS_PER_QUERY = 50;
/** Added by the simulators to every upstream API call. */
export const UPSTREAM_LATENCY_MS = 20;
export const CONCURRENT_CLIENTS = 20;

/** The query of `npm run bench` (and one of the soak's mix): 50 people with a relation on every upstream. */
export const NESTED_QUERY =
  'query Nested { users(first: 50) { edges { node { token { isActive } balance { seconds } extra { preferences } edgeAccount { id } loginHistory(first: 3) { totalCount } switchAccount { userId } } } } }';

export interface WorkloadCounts {
  /** unmeasured queries first, at one client, so that the JIT and the connection pools are warm */
  warmup: number;
  singleClient: number;
  /** in total, spread evenly over the concurrent clients (rounded up to a multiple of them) */
  concurrent: number;
}

const COUNT_VARIABLES = { warmup: 'BENCH_WARMUP', singleClient: 'BENCH_QUERIES_1', concurrent: 'BENCH_QUERIES_20' } as const;

export function workloadCountsFromEnv(): WorkloadCounts {
  return {
    warmup: positiveIntegerFromEnv(COUNT_VARIABLES.warmup, 20),
    singleClient: positiveIntegerFromEnv(COUNT_VARIABLES.singleClient, 100),
    concurrent: positiveIntegerFromEnv(COUNT_VARIABLES.concurrent, 600),
  };
}

/** The same counts as env variables, for a child process to read with workloadCountsFromEnv. */
export function workloadCountsAsEnv(counts: WorkloadCounts): Record<string, string> {
  return {
    [COUNT_VARIABLES.warmup]: String(counts.warmup),
    [COUNT_VARIABLES.singleClient]: String(counts.singleClient),
    [COUNT_VARIABLES.concurrent]: String(counts.concurrent),
  };
}

export interface LoadPlan {
  name: string;
  /** each client runs its queries one after another */
  clients: number;
  queriesPerClient: number;
}

export function loadPlans(counts: WorkloadCounts): { warmup: LoadPlan; singleClient: LoadPlan; concurrent: LoadPlan } {
  return {
    warmup: { name: 'warm-up', clients: 1, queriesPerClient: counts.warmup },
    singleClient: { name: '1 client', clients: 1, queriesPerClient: counts.singleClient },
    concurrent: {
      name: `${CONCURRENT_CLIENTS} clients`,
      clients: CONCURRENT_CLIENTS,
      queriesPerClient: Math.ceil(counts.concurrent / CONCURRENT_CLIENTS),
    },
  };
}
