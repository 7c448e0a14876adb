// The fewest sequential upstream round trips (and the fewest requests) that can answer the nested
// query, derived from the dataset the simulators serve.
import type { Dataset, GateUser } from '../../src/simulators/dataset.ts';
import type { PerUpstream } from './simulators.ts';

/**
 * The largest page the simulated edge serves: both the gateway and the baseline ask for larger
 * pages once a list's links have shown the size parameter (the first read of each list, in the
 * warm-up, teaches it).
 */
const EDGE_PAGE_SIZE = 100;

/** Sequential upstream calls one person needs after the gate user list, per relation. */
export interface PersonChain {
  username: string;
  /** pages of the fuzzy `?username=` search walked until the exact match (all pages when absent) */
  edgeSearchPages: number;
  /** pages of login history read for `first: 3 { totalCount }`, only once the edge account is known: the first, and the last when there are more */
  edgeHistoryPages: number;
  /** the longest of: token 1, extra 1, switch 1, edge search + history */
  levels: number;
}

export interface CriticalPath {
  users: number;
  /** dependent upstream levels, the gate user list included */
  levels: number;
  latencyPerLevelMs: number;
  floorMs: number;
  /** the person whose chain sets the floor */
  slowest: PersonChain;
  minimalRequests: PerUpstream<number> & { total: number };
  explanation: string;
}

function edgePages(items: number): number {
  return Math.max(1, Math.ceil(items / EDGE_PAGE_SIZE));
}

function personChain(dataset: Dataset, person: GateUser): PersonChain {
  const needle = person.username.toLowerCase();
  const fuzzyMatches = dataset.edgeUsers.filter((user) => user.username.toLowerCase().includes(needle));
  const exactIndex = fuzzyMatches.findIndex((user) => user.username === person.username);
  const account = fuzzyMatches[exactIndex];
  const edgeSearchPages = account ? Math.floor(exactIndex / EDGE_PAGE_SIZE) + 1 : edgePages(fuzzyMatches.length);
  const edgeHistoryPages = account ? Math.min(2, edgePages(account.history.length)) : 0;
  const tokenLevels = 1;
  const extraLevels = 1;
  const switchLevels = 1;
  return {
    username: person.username,
    edgeSearchPages,
    edgeHistoryPages,
    levels: Math.max(tokenLevels, extraLevels, switchLevels, edgeSearchPages + edgeHistoryPages),
  };
}

export function criticalPath(dataset: Dataset, users: number, latencyPerLevelMs: number): CriticalPath {
  const chains = dataset.gateUsers.slice(0, users).map((person) => personChain(dataset, person));
  const slowest = chains.reduce((worst, chain) => (chain.levels > worst.levels ? chain : worst));
  const levels = 1 + slowest.levels;
  const edge = chains.reduce((sum, chain) => sum + chain.edgeSearchPages + chain.edgeHistoryPages, 0);
  // One list, then per person one user_token (with balance) and one user_extra lookup.
  const minimalRequests = { gate: 1 + 2 * chains.length, edge, switch: chains.length };
  return {
    users: chains.length,
    levels,
    latencyPerLevelMs,
    floorMs: levels * latencyPerLevelMs,
    slowest,
    minimalRequests: { ...minimalRequests, total: minimalRequests.gate + minimalRequests.edge + minimalRequests.switch },
    explanation:
      `1 (gate user list) + max over the ${chains.length} users of max(token 1, extra 1, switch 1, edge search pages + history pages)` +
      ` = 1 + ${slowest.levels} ("${slowest.username}": ${slowest.edgeSearchPages} search + ${slowest.edgeHistoryPages} history pages),` +
      ` times ${latencyPerLevelMs} ms a level`,
  };
}
