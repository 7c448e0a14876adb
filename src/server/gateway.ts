import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSimulators, type Simulators } from '../simulators/index.ts';
import { Upstreams } from '../upstreams/index.ts';
import type { UpstreamEndpoint } from '../upstreams/http.ts';
import type { UpstreamObserver } from '../upstreams/observer.ts';
import { edgeHeaders, gateHeaders, switchHeaders, type GatewayConfig, type UpstreamSettings } from './config.ts';
import { createHash } from 'node:crypto';
import { pino, type Logger } from 'pino';
import type { AuditSink } from '../provisioning/audit.ts';
import { createSharedState } from '../state/index.ts';
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

/** Where the simulators answer and how to authenticate to them, as config would say it. */
export function simulatorSettings(simulators: Simulators): Record<UpstreamKey, UpstreamSettings> {
  return {
    gate: { url: simulators.gate.url, headers: gateHeaders(simulators.gate.token) },
    edge: { url: simulators.edge.url, headers: edgeHeaders({ username: simulators.edge.username, password: simulators.edge.password }) },
    switch: { url: simulators.switch.url, headers: switchHeaders(simulators.switch.token) },
  };
}

export type UpstreamLimitSettings = Pick<
  GatewayConfig,
  'upstreamConnections' | 'upstreamTimeouts' | 'callPolicy' | 'upstreamMaxResponseBytes' | 'edgeMaxPages' | 'edgeNameSearchMaxMatches' | 'switchNameSearchMaxMatches' | 'tenantScanMaxItems'
>;

/** One pool per upstream, sized, timed and bounded as configured. */
export function createUpstreams(settings: Record<UpstreamKey, UpstreamSettings>, limits: UpstreamLimitSettings, observer?: UpstreamObserver): Upstreams {
  const endpoint = (key: UpstreamKey): UpstreamEndpoint => ({
    baseUrl: settings[key].url,
    headers: settings[key].headers,
    connections: limits.upstreamConnections,
    timeouts: limits.upstreamTimeouts[key],
    policy: limits.callPolicy,
    maxResponseBytes: limits.upstreamMaxResponseBytes,
    configuredBy: `${key.toUpperCase()}_URL`,
  });
  return new Upstreams(
    { gate: endpoint('gate'), edge: endpoint('edge'), switch: endpoint('switch') },
    {
      edge: { maxPages: limits.edgeMaxPages, nameSearchMaxMatches: limits.edgeNameSearchMaxMatches },
      switch: { nameSearchMaxMatches: limits.switchNameSearchMaxMatches },
      tenantScan: { maxItems: limits.tenantScanMaxItems },
    },
    observer,
  );
}

/** Serves the gateway over HTTP; upstreams left unconfigured are served by embedded simulators. */
export async function startGateway(config: GatewayConfig): Promise<RunningGateway> {
  const keys: UpstreamKey[] = ['gate', 'edge', 'switch'];
  const simulated = keys.filter((key) => !config.upstreams[key]);
  const simulators = simulated.length ? await startSimulators({ recordRequests: false }) : undefined;
  const fallback = simulators && simulatorSettings(simulators);
  const settings = (key: UpstreamKey): UpstreamSettings => {
    const chosen = config.upstreams[key] ?? fallback?.[key];
    if (!chosen) throw new Error(`no ${key} upstream`);
    return chosen;
  };
  const chosen = { gate: settings('gate'), edge: settings('edge'), switch: settings('switch') };
  const upstreams = createUpstreams(chosen, config);
  const logger = pino({ level: config.logLevel });
  const state = await createSharedState({
    redisUrl: config.redisUrl,
    onBackgroundError: (error) => logger.warn({ err: error }, 'shared state'),
  }).catch(async (error: unknown) => {
    await Promise.all([upstreams.close(), simulators?.close()]);
    throw error;
  });
  const yoga = createGateway(upstreams, {
    logger,
    writes: { state, audit: auditLog(logger), idempotencySecret: secretOf(chosen), lockWaitMs: config.lockWaitMs },
    security: config,
    requestDeadlineMs: config.requestDeadlineMs,
  });
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
      await Promise.all([upstreams.close(), state.close()]);
      await simulators?.close();
    },
  };
}

/** The audit trail: one JSON line per mutation, on its own logger. */
export function auditLog(logger: Logger): AuditSink {
  const audit = logger.child({ logger: 'audit' });
  return (entry) => audit.info(entry, `${entry.mutation}: ${entry.outcome}`);
}

/**
 * The key of idempotency fingerprints, drawn from the upstream credentials: every replica that
 * serves the same upstreams has it, and nobody who lacks them can test guesses against what Redis holds.
 */
export function secretOf(settings: Record<UpstreamKey, UpstreamSettings>): string {
  return createHash('sha256').update(JSON.stringify([settings.gate, settings.edge, settings.switch])).digest('base64url');
}
