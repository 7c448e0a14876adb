// Starts the three simulated upstreams (gate, edge, switch) over one shared dataset.
import { createDataset, type Dataset } from './dataset.ts';
import { createEdgeServer, type EdgePaging } from './edge.ts';
import { createGateServer } from './gate.ts';
import type { FaultRule } from './faults.ts';
import type { SimulatedRequest, SimulatorServer, SimulatorStats, UpstreamName } from './http.ts';
import { createSwitchServer } from './switch.ts';

export * from './dataset.ts';
export type { FaultAction, FaultMatch, FaultRule } from './faults.ts';
export { GATE_PUBLIC_BASE_URL } from './gate.ts';
export { EDGE_PAGING_DEFAULTS, type EdgePaging } from './edge.ts';
export type { SimulatedRequest, SimulatorStats, UpstreamName } from './http.ts';

export const SIMULATOR_CREDENTIALS = {
  gate: { token: 'gate-dev-token' },
  edge: { username: 'admin', password: 'edge-dev-password', token: 'edge-dev-token' },
  switch: { token: 'switch-dev-token' },
} as const;

export const API_PREFIXES = { gate: '/api/v1', edge: '/api', switch: '/v1' } as const;

export interface StartSimulatorsOptions {
  /** default 127.0.0.1 */
  host?: string;
  /** default 0 (ephemeral) for each */
  ports?: { gate?: number; edge?: number; switch?: number };
  /** delays every API response by this many ms */
  latencyMs?: number;
  /** default: a fresh createDataset() */
  dataset?: Dataset;
  /** keep every request in `requests` (default true); long-running processes turn it off */
  recordRequests?: boolean;
  /** rolls the dice of fault rules with a `chance` (default Math.random) */
  random?: () => number;
  /** how edge names and sizes its pages (default: `page`, `per_page`, 25, at most 100) */
  edgePaging?: Partial<EdgePaging>;
}

export interface Simulators {
  gate: { url: string; token: string };
  /** token is in the "user:token" form of `Authorization: Token user:token` */
  edge: { url: string; username: string; password: string; token: string };
  switch: { url: string; token: string };
  /** the dataset the simulators serve and mutate */
  dataset: Dataset;
  /** every API request to any of the three, in arrival order */
  requests: SimulatedRequest[];
  /** empties `requests` (in place) and zeroes the /__simulator/stats counters; faults stay */
  resetRequests(): void;
  /** one upstream's /__simulator/stats counters: requests, and the faults that fired on them */
  stats(upstream: UpstreamName): SimulatorStats;
  /** Makes the next matching request(s) to one upstream fail; see FaultRule. Throws on an invalid rule. */
  injectFault(upstream: UpstreamName, rule: FaultRule): void;
  /** removes every fault not yet used up, on all three */
  clearFaults(): void;
  /** Resolves once `count` requests to one upstream are held by `hold` faults. */
  whenHeld(upstream: UpstreamName, count?: number): Promise<void>;
  /** Lets one upstream's held requests go on; resolves, with how many, once each has been handled (a write landed). */
  releaseHeld(upstream: UpstreamName): Promise<number>;
  close(): Promise<void>;
}

export async function startSimulators(options: StartSimulatorsOptions = {}): Promise<Simulators> {
  const host = options.host ?? '127.0.0.1';
  const dataset = options.dataset ?? createDataset();
  const requests: SimulatedRequest[] = [];
  const serverOptions = {
    ...(options.latencyMs !== undefined ? { latencyMs: options.latencyMs } : {}),
    ...(options.recordRequests === false ? {} : { requestLog: requests }),
    ...(options.random !== undefined ? { random: options.random } : {}),
  };
  const gate = createGateServer(dataset, { ...serverOptions, token: SIMULATOR_CREDENTIALS.gate.token });
  const edge = createEdgeServer(dataset, {
    ...serverOptions,
    ...SIMULATOR_CREDENTIALS.edge,
    ...(options.edgePaging ? { paging: options.edgePaging } : {}),
  });
  const switchServer = createSwitchServer(dataset, { ...serverOptions, token: SIMULATOR_CREDENTIALS.switch.token });
  const serversByName: Record<UpstreamName, SimulatorServer> = { gate, edge, switch: switchServer };
  const servers = Object.values(serversByName);

  let origins: string[];
  try {
    origins = await Promise.all([
      gate.listen(options.ports?.gate ?? 0, host),
      edge.listen(options.ports?.edge ?? 0, host),
      switchServer.listen(options.ports?.switch ?? 0, host),
    ]);
  } catch (error) {
    await Promise.all(servers.map((server) => server.close()));
    throw error;
  }
  const [gateOrigin, edgeOrigin, switchOrigin] = origins as [string, string, string];
  const { username, password, token } = SIMULATOR_CREDENTIALS.edge;

  return {
    gate: { url: `${gateOrigin}${API_PREFIXES.gate}`, token: SIMULATOR_CREDENTIALS.gate.token },
    edge: { url: `${edgeOrigin}${API_PREFIXES.edge}`, username, password, token: `${username}:${token}` },
    switch: { url: `${switchOrigin}${API_PREFIXES.switch}`, token: SIMULATOR_CREDENTIALS.switch.token },
    dataset,
    requests,
    resetRequests() {
      requests.length = 0;
      for (const server of servers) server.resetRequestCount();
    },
    stats(upstream) {
      return serversByName[upstream].stats();
    },
    injectFault(upstream, rule) {
      serversByName[upstream].injectFault(rule);
    },
    clearFaults() {
      for (const server of servers) server.clearFaults();
    },
    whenHeld(upstream, count) {
      return serversByName[upstream].whenHeld(count);
    },
    releaseHeld(upstream) {
      return serversByName[upstream].releaseHeld();
    },
    async close() {
      await Promise.all(servers.map((server) => server.close()));
    },
  };
}
