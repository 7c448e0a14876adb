import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSimulators, type Simulators } from '../simulators/index.ts';
import { Upstreams } from '../upstreams/index.ts';
import type { UpstreamEndpoint } from '../upstreams/http.ts';
import { edgeHeaders, gateHeaders, switchHeaders, type GatewayConfig, type UpstreamSettings } from './config.ts';
import { createGateway, type Gateway } from './yoga.ts';

export interface RunningGateway {
  /** Where GraphQL (and GraphiQL) answers, e.g. `http://127.0.0.1:4000/graphql`. */
  url: string;
  yoga: Gateway;
  server: Server;
  /** The embedded simulators, when some upstream was left unconfigured. */
  simulators: Simulators | undefined;
  /** Which upstreams the embedded simulators stand in for. */
  simulated: string[];
  close(): Promise<void>;
}

type UpstreamKey = keyof GatewayConfig['upstreams'];

function simulatorSettings(simulators: Simulators): Record<UpstreamKey, UpstreamSettings> {
  return {
    gate: { url: simulators.gate.url, headers: gateHeaders(simulators.gate.token) },
    edge: { url: simulators.edge.url, headers: edgeHeaders({ username: simulators.edge.username, password: simulators.edge.password }) },
    switch: { url: simulators.switch.url, headers: switchHeaders(simulators.switch.token) },
  };
}

/** Serves the gateway over HTTP; upstreams left unconfigured are served by embedded simulators. */
export async function startGateway(config: GatewayConfig): Promise<RunningGateway> {
  const keys: UpstreamKey[] = ['gate', 'edge', 'switch'];
  const simulated = keys.filter((key) => !config.upstreams[key]);
  const simulators = simulated.length ? await startSimulators({ recordRequests: false }) : undefined;
  const fallback = simulators && simulatorSettings(simulators);
  const endpoint = (key: UpstreamKey): UpstreamEndpoint => {
    const settings = config.upstreams[key] ?? fallback?.[key];
    if (!settings) throw new Error(`no ${key} upstream`);
    return { baseUrl: settings.url, headers: settings.headers, connections: config.upstreamConnections, timeoutMs: config.upstreamTimeoutMs };
  };
  const upstreams = new Upstreams({ gate: endpoint('gate'), edge: endpoint('edge'), switch: endpoint('switch') });
  const yoga = createGateway(upstreams);
  const server = createServer(yoga);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return {
    url: `http://${shownHost}:${port}${yoga.graphqlEndpoint}`,
    yoga,
    server,
    simulators,
    simulated,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await upstreams.close();
      await simulators?.close();
    },
  };
}
