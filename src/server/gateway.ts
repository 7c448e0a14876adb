import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Simulators } from '../simulators/index.ts';
import { Upstreams } from '../upstreams/index.ts';
import type { UpstreamEndpoint } from '../upstreams/http.ts';
import type { UpstreamObserver } from '../upstreams/observer.ts';
import type { GatewayConfig, UpstreamSettings } from './config.ts';
import { startEmbeddedSimulators, type UpstreamKey } from './embedded-simulators.ts';
import { createHash } from 'node:crypto';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { SpanExporter } from '@opentelemetry/sdk-trace-node';
import type { AuditSink } from '../provisioning/audit.ts';
import { createSharedState } from '../state/index.ts';
import { createReadCacheStore, type ReadCacheOptions, type ReadCacheStore } from '../state/read-cache.ts';
import { createAdmission, createGateway, type Gateway } from './yoga.ts';
import type { Admission } from './admission.ts';
import { corsHeadersFor } from './cors.ts';
import { incomingClientsBy, refuseUnread } from './refuse-unread.ts';
import { KnownCallers } from './plugins/use-authentication.ts';
import { overloadedError } from './plugins/use-admission.ts';
import { GatewayMetrics, type Scrape } from './telemetry/metrics.ts';
import { combineObservers } from './telemetry/observers.ts';
import type { Tracing } from './telemetry/tracing.ts';
import { errorFields } from './telemetry/error-fields.ts';
import { upstreamLogObserver } from './telemetry/upstream-log.ts';

export interface RunningGateway {
  /** Where GraphQL (and GraphiQL) answers, e.g. `http://127.0.0.1:4000/graphql`. */
  url: string;
  yoga: Gateway;
  server: Server;
  /** The embedded simulators, when some upstream was left unconfigured. */
  simulators: Simulators | undefined;
  /** Which upstreams the embedded simulators stand in for. */
  simulated: string[];
  metrics: GatewayMetrics;
  /** Graceful shutdown (see `startGateway`); `/readyz` answers 503 from the moment it is called. */
  close(): Promise<void>;
}

export type UpstreamLimitSettings = Pick<
  GatewayConfig,
  | 'upstreamConnections'
  | 'upstreamShareReads'
  | 'upstreamCache'
  | 'upstreamTimeouts'
  | 'callPolicy'
  | 'upstreamMaxResponseBytes'
  | 'edgeMaxPages'
  | 'edgePageSize'
  | 'edgeNameSearchMaxMatches'
  | 'switchNameSearchMaxMatches'
  | 'tenantScanMaxItems'
  | 'writeRecoveryMs'
  | 'writeSettleMs'
>;

/** Where the upstream read cache keeps its entries, and the clock that ages them (epoch ms). */
export interface ReadCache {
  store: ReadCacheStore;
  now: () => number;
}

/**
 * The read cache the config asks for, aged by `now`: none unless some upstream's reads are cached
 * (a `…_CACHE_TTL_MS` above 0); in Redis with `REDIS_URL`, else in this process's memory.
 */
export async function readCacheFor(
  config: Pick<GatewayConfig, 'upstreamCache' | 'redisUrl'>,
  now: () => number,
  store: Pick<ReadCacheOptions, 'keyPrefix' | 'onAvailability'> = {},
): Promise<ReadCache | undefined> {
  if (!Object.values(config.upstreamCache.ttlMs).some((ttlMs) => ttlMs > 0)) return undefined;
  return { store: await createReadCacheStore({ redisUrl: config.redisUrl, timeoutMs: config.upstreamCache.timeoutMs, ...store }), now };
}

/** One pool per upstream, sized, timed and bounded as configured; reads cached in `cache` where a TTL is set. */
export function createUpstreams(settings: Record<UpstreamKey, UpstreamSettings>, limits: UpstreamLimitSettings, observer?: UpstreamObserver, cache?: ReadCache): Upstreams {
  const cacheOf = (key: UpstreamKey) => {
    const ttlMs = limits.upstreamCache.ttlMs[key];
    return cache && ttlMs > 0 ? { cache: { ...cache, ttlMs, settleMs: limits.writeSettleMs } } : {};
  };
  const endpoint = (key: UpstreamKey): UpstreamEndpoint => ({
    baseUrl: settings[key].url,
    headers: settings[key].headers,
    connections: limits.upstreamConnections,
    shareReads: limits.upstreamShareReads,
    timeouts: limits.upstreamTimeouts[key],
    policy: limits.callPolicy,
    maxResponseBytes: limits.upstreamMaxResponseBytes,
    configuredBy: `${key.toUpperCase()}_URL`,
    ...cacheOf(key),
  });
  return new Upstreams(
    { gate: endpoint('gate'), edge: endpoint('edge'), switch: endpoint('switch') },
    cache?.store,
    {
      edge: { maxPages: limits.edgeMaxPages, pageSize: limits.edgePageSize, nameSearchMaxMatches: limits.edgeNameSearchMaxMatches },
      switch: { nameSearchMaxMatches: limits.switchNameSearchMaxMatches },
      tenantScan: { maxItems: limits.tenantScanMaxItems },
      writeRecoveryMs: limits.writeRecoveryMs,
    },
    observer,
  );
}

export interface StartOptions {
  /** Where the JSON lines of the log and the audit trail go; default stdout. */
  logDestination?: DestinationStream;
  /** Spans go here, each as it ends, instead of to `OTEL_EXPORTER_OTLP_ENDPOINT` (tests: an `InMemorySpanExporter`). */
  spanExporter?: SpanExporter;
  /** What `/metrics` answers instead of this process's metrics alone (a worker's: every worker's). */
  scrapeAll?: () => Promise<Scrape>;
}

/** Serves the gateway over HTTP; upstreams left unconfigured are served by embedded simulators. */
export async function startGateway(config: GatewayConfig, options: StartOptions = {}): Promise<RunningGateway> {
  const { simulators, simulated, upstreams: chosen } = await startEmbeddedSimulators(config.upstreams);
  // One destination for the log and the audit trail: their lines never interleave.
  const destination = options.logDestination ?? pino.destination({ dest: process.stdout.fd });
  const logger = pino({ level: config.logLevel }, destination);
  const lifecycle = logger.child({ logger: 'lifecycle' });
  const stateLog = logger.child({ logger: 'state' });
  const metrics = new GatewayMetrics({ scrapeAll: options.scrapeAll });
  const tracing = await startTracing(config, options.spanExporter);
  const cache = await readCacheFor(config, Date.now, { onAvailability: cacheAvailability(stateLog) });
  const upstreams = createUpstreams(chosen, config, combineObservers([metrics.observer, upstreamLogObserver(logger), tracing?.observer]), cache);
  metrics.watchHealth(() => upstreams.health());
  const state = await createSharedState({
    redisUrl: config.redisUrl,
    rateLimitWaitMs: config.rateLimitRedisWaitMs,
    onBackgroundError: (error) => stateLog.warn({ error: errorFields(error) }, `shared state: ${error.message}`),
  }).catch(async (error: unknown) => {
    await Promise.all([upstreams.close(), simulators?.close(), tracing?.shutdown()]);
    throw error;
  });
  let shuttingDown = false;
  let yoga: Gateway;
  const knownCallers = new KnownCallers(config.auth);
  const admission = createAdmission(config.admission, { logger, metrics });
  try {
    yoga = createGateway(upstreams, {
      logger,
      knownCallers,
      writes: { state, audit: auditLog(destination), idempotencySecret: secretOf(chosen), lockWaitMs: config.lockWaitMs, settleMs: config.writeSettleMs, now: Date.now },
      security: config,
      requestDeadlineMs: config.requestDeadlineMs,
      admission,
      signals: { requestLog: logger.child({ logger: 'request' }), metrics, tracing, shuttingDown: () => shuttingDown },
    });
  } catch (error) {
    // A trusted document that no request could run: refused before anything listens.
    await Promise.all([upstreams.close(), state.close(), simulators?.close(), tracing?.shutdown()]);
    throw error;
  }
  const server = createServer(refusingUnread(yoga, config, { admission, knownCallers, metrics, logger }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  }).catch(async (error: unknown) => {
    await Promise.all([upstreams.close(), state.close(), simulators?.close(), tracing?.shutdown()]);
    throw error;
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;

  let closing: Promise<void> | undefined;
  /**
   * Not ready at once, no new connection, every request under way answered: each ends by its
   * deadline, so what is still open a second past it is cut. Idle keep-alive connections close
   * now, the others as their requests end. Then the upstream pools, Redis, the simulators, and
   * the spans not yet exported.
   */
  const shutDown = async () => {
    shuttingDown = true;
    const drained = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const cutoff = setTimeout(() => {
      lifecycle.warn('shutdown: requests still under way past the request deadline are cut off');
      server.closeAllConnections();
    }, config.requestDeadlineMs + 1000);
    await drained;
    clearTimeout(cutoff);
    await Promise.all([upstreams.close(), state.close()]);
    await simulators?.close();
    // A collector that cannot be reached costs the spans, not the exit code.
    await tracing?.shutdown().catch((error: unknown) => lifecycle.warn({ error: errorFields(error) }, 'shutdown: spans not exported'));
  };
  return {
    url: `http://${shownHost}:${port}${yoga.graphqlEndpoint}`,
    yoga,
    server,
    simulators,
    simulated,
    metrics,
    close() {
      closing ??= shutDown();
      return closing;
    },
  };
}

/** The cache going off and coming back, said once each: while it is off, every read goes upstream. */
function cacheAvailability(log: Logger): (available: boolean, reason?: Error) => void {
  return (available, reason) => {
    if (available) log.info('upstream cache: Redis answers again, reads are cached again');
    else log.warn({ ...(reason && { error: errorFields(reason) }) }, 'upstream cache: Redis failed or was too slow (UPSTREAM_CACHE_TIMEOUT_MS): reads go upstream until it answers again');
  };
}

/**
 * The gateway behind what refuses requests from their headers alone (see `refuseUnread`): a
 * client's past `CLIENT_MAX_IN_FLIGHT` under way, and those admission would shed whatever they ask.
 */
function refusingUnread(
  yoga: Gateway,
  config: GatewayConfig,
  parts: { admission: Admission; knownCallers: KnownCallers; metrics: GatewayMetrics; logger: Logger },
): RequestListener {
  const log = parts.logger.child({ logger: 'graphql' });
  const max = config.clientMaxInFlight;
  return refuseUnread(yoga, {
    graphqlEndpoint: yoga.graphqlEndpoint,
    clientOf: incomingClientsBy(config.auth, parts.knownCallers),
    maxInFlight: max,
    overloaded: (client) => {
      const refusal = parts.admission.certainRefusal(client, performance.now() + config.requestDeadlineMs);
      return refusal && overloadedError(refusal);
    },
    corsHeadersOf: corsHeadersFor(config.corsOrigins),
    onRefused: (refusal) => parts.metrics.refusedUnread(refusal),
    onCapEpisode: (episode) =>
      episode.started
        ? log.warn({ client: episode.client }, `a client has ${max} requests in flight (CLIENT_MAX_IN_FLIGHT): refusing its next ones unread (TOO_MANY_REQUESTS_IN_FLIGHT, 429)`)
        : log.info({ client: episode.client, refused: episode.refused }, `a client no longer at its cap: ${episode.refused} requests were refused`),
  });
}

/** Tracing when configured (or given an exporter); OpenTelemetry's SDK is not even loaded otherwise. */
async function startTracing(config: GatewayConfig, exporter: SpanExporter | undefined): Promise<Tracing | undefined> {
  if (!exporter && !config.tracing) return undefined;
  const tracing = await import('./telemetry/tracing.ts');
  if (exporter) return new tracing.Tracing({ serviceName: config.tracing?.serviceName ?? 'user-gateway', exporter, processor: 'simple' });
  return config.tracing && tracing.otlpTracing(config.tracing);
}

/**
 * The audit trail: one JSON line per mutation (`"logger": "audit"`, at `info`). A logger of its
 * own, not a child of the log: `LOG_LEVEL` says how chatty the log is (`warn`, even `silent`), and
 * never silences who changed what.
 */
export function auditLog(destination: DestinationStream): AuditSink {
  const audit = pino({ level: 'info' }, destination).child({ logger: 'audit' });
  return (entry) => audit.info(entry, `${entry.mutation}: ${entry.outcome}`);
}

/**
 * The key of idempotency fingerprints, drawn from the upstream credentials: every replica that
 * serves the same upstreams has it, and nobody who lacks them can test guesses against what Redis holds.
 */
export function secretOf(settings: Record<UpstreamKey, UpstreamSettings>): string {
  return createHash('sha256').update(JSON.stringify([settings.gate, settings.edge, settings.switch])).digest('base64url');
}
