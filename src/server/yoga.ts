import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import { schema } from '../schema/index.ts';
import type { Upstreams } from '../upstreams/index.ts';
import type { GatewayContext, WriteServices } from '../schema/context.ts';
import type { GatewayConfig } from './config.ts';
import { Admission, combineAdmissionEvents, realClock, type AdmissionSettings } from './admission.ts';
import { createContext } from './context.ts';
import { corsFor } from './cors.ts';
import { maskGatewayError, UNEXPECTED_ERROR_MESSAGE } from './errors.ts';
import { EXAMPLE_QUERY } from './example-query.ts';
import { useBoundedErrorMessages } from './plugins/use-bounded-error-messages.ts';
import { callerOf, useAuthentication, type KnownCallers } from './plugins/use-authentication.ts';
import { clientsBy, useRateLimit } from './plugins/use-rate-limit.ts';
import { requestIdOf, useRequestId } from './plugins/use-request-id.ts';
import { sheddingEpisodes, useAdmission } from './plugins/use-admission.ts';
import { useCompiledExecution } from './plugins/use-compiled-execution.ts';
import { useIncrementalDelivery } from './plugins/use-incremental-delivery.ts';
import { useCsrfPrevention } from './plugins/use-csrf-prevention.ts';
import { useGraphiQLPage, type GraphiQLPageOptions } from './plugins/use-graphiql-page.ts';
import { useIdempotentReplay } from './plugins/use-idempotent-replay.ts';
import { useQueryCost } from './plugins/use-query-cost.ts';
import { useQueryLimits } from './plugins/use-query-limits.ts';
import { useReadCache } from './plugins/use-read-cache.ts';
import { useRequestBodyLimit } from './plugins/use-request-body-limit.ts';
import { useSchemaExposure } from './plugins/use-schema-exposure.ts';
import { useHealth } from './plugins/use-health.ts';
import { useMetrics } from './plugins/use-metrics.ts';
import { useRequestLog, type RequestLogger } from './plugins/use-request-log.ts';
import { useRequestSummary } from './plugins/use-request-summary.ts';
import { useTracing } from './plugins/use-tracing.ts';
import { useTrustedDocuments } from './plugins/use-trusted-documents.ts';
import { TrustedDocuments } from './trusted-documents.ts';
import { graphqlLog } from './telemetry/graphql-log.ts';
import type { GatewayMetrics } from './telemetry/metrics.ts';
import type { Tracing } from './telemetry/tracing.ts';

export type Gateway = YogaServerInstance<Record<string, unknown>, GatewayContext>;

/** Who may ask what, and how much: client authentication, query limits, what the schema shows. */
export type SecuritySettings = Pick<GatewayConfig, 'auth' | 'queryLimits' | 'introspection' | 'graphiql' | 'rateLimitPerMinute' | 'corsOrigins' | 'trustedDocuments'>;

export interface GatewayOptions {
  /** Where errors and warnings go: JSON lines of its child `graphql` (see `graphqlLog`); absent or false for none. */
  logger?: Logger | false;
  /** Locks, idempotency keys and the audit log of the mutations. */
  writes: WriteServices;
  security: SecuritySettings;
  /** How long one GraphQL request may take: no upstream call of it runs past that (`REQUEST_DEADLINE_MS`). */
  requestDeadlineMs: number;
  /**
   * How many queries run at once, in estimated upstream calls, and who waits (`ADMISSION_*`): the
   * settings, or the admission itself (`createAdmission`) where requests are also refused before
   * Yoga sees them (see `refuseUnread`).
   */
  admission: AdmissionSettings | Admission;
  /** What operates the gateway: its signals (each optional; `/healthz` and `/readyz` are always served). */
  signals?: SignalOptions;
  /** Told of each bearer token verified (see `refuseUnread`, which tells clients apart by it). */
  knownCallers?: KnownCallers;
}

export interface SignalOptions {
  /** Gets one `info` line per GraphQL request. */
  requestLog?: RequestLogger;
  /** Counts requests and serves `GET /metrics`. */
  metrics?: GatewayMetrics;
  /** A span per GraphQL request, parent of its upstream attempts' spans. */
  tracing?: Tracing;
  /** Whether shutdown has begun: `/readyz` answers 503 from then on. */
  shuttingDown?: () => boolean;
}

const GRAPHQL_ENDPOINT = '/graphql';

const GRAPHIQL_PAGE: GraphiQLPageOptions = {
  title: 'User gateway',
  defaultQuery: EXAMPLE_QUERY,
  // Headers typed in (an API key) stay out of the browser's storage unless the person turns
  // "persist headers" on in the settings (Yoga's GraphiQL would keep them by default).
  shouldPersistHeaders: false,
  showPersistHeadersSettings: true,
};

/** Admission control for one process, its decisions counted in the metrics and its shedding logged. */
export function createAdmission(settings: AdmissionSettings, signals: { logger?: Logger | false; metrics?: GatewayMetrics }): Admission {
  const logger = signals.logger ? graphqlLog(signals.logger) : undefined;
  const shedding = sheddingEpisodes((episode) =>
    episode.started
      ? logger?.warn('overloaded: shedding operations (OVERLOADED, 503)')
      : logger?.info(`no longer shedding: ${episode.refused} operations were refused`),
  );
  const admission = new Admission(settings, realClock, combineAdmissionEvents([signals.metrics?.admissionEvents, shedding]));
  signals.metrics?.watchAdmission(() => admission.state);
  return admission;
}

/**
 * The GraphQL server over the given upstreams; it listens nowhere by itself (see `index.ts`).
 * Throws a ConfigError naming each trusted document that a request could not run.
 */
export function createGateway(upstreams: Upstreams, options: GatewayOptions): Gateway {
  const { security } = options;
  const trusted = security.trustedDocuments && {
    documents: new TrustedDocuments(security.trustedDocuments.manifest, { schema, limits: security.queryLimits, introspection: security.introspection }),
    only: security.trustedDocuments.only,
  };
  const signals = options.signals ?? {};
  const logger = options.logger ? graphqlLog(options.logger) : undefined;
  const clientOf = clientsBy(security.auth);
  const admission = options.admission instanceof Admission ? options.admission : createAdmission(options.admission, { logger: options.logger, metrics: signals.metrics });
  return createYoga<Record<string, unknown>, GatewayContext>({
    schema,
    graphqlEndpoint: GRAPHQL_ENDPOINT,
    context: ({ request }) =>
      createContext(upstreams, options.writes, { requestId: requestIdOf(request), deadline: performance.now() + options.requestDeadlineMs }, callerOf(request)),
    maskedErrors: { maskError: maskGatewayError, errorMessage: UNEXPECTED_ERROR_MESSAGE },
    // Served by useGraphiQLPage, compressed and cacheable.
    graphiql: false,
    landingPage: false,
    cors: corsFor(security.corsOrigins),
    logging: logger ?? false,
    plugins: [
      ...(security.graphiql ? [useGraphiQLPage({ graphqlEndpoint: GRAPHQL_ENDPOINT, page: GRAPHIQL_PAGE })] : []),
      // First among the plugins that see execution, so that the ones after it (the request
      // summary, the query cost) wrap or replace the compiled execution.
      useCompiledExecution({ precompiled: (document, operationName) => trusted?.documents.compiledQuery(document, operationName) }),
      // Before the query cost and admission: a document whose parts the client cannot read is refused first.
      useIncrementalDelivery({ maskError: maskGatewayError, errorMessage: UNEXPECTED_ERROR_MESSAGE }),
      useRequestId(),
      useIdempotentReplay(),
      // Operational endpoints first: their onRequest answers before authentication, the rate
      // limit, CSRF prevention and the body limit see the request.
      useHealth({ upstreams: () => upstreams.health(), shuttingDown: signals.shuttingDown ?? (() => false) }),
      ...(signals.metrics ? [useMetrics({ metrics: signals.metrics })] : []),
      // Before anything that may refuse a request, so that refusals are logged, counted and traced too.
      ...(signals.requestLog || signals.metrics || signals.tracing ? [useRequestSummary({ graphqlEndpoint: GRAPHQL_ENDPOINT, graphiql: security.graphiql })] : []),
      ...(signals.requestLog ? [useRequestLog({ logger: signals.requestLog })] : []),
      ...(signals.tracing ? [useTracing({ tracing: signals.tracing, graphqlEndpoint: GRAPHQL_ENDPOINT })] : []),
      useAuthentication({ settings: security.auth, graphiql: security.graphiql, known: options.knownCallers, onRefused: (reason, request) => logger?.debug({ requestId: requestIdOf(request) }, `credential refused: ${reason}`),
        onKeysUnavailable: (reason, request) => logger?.warn({ requestId: requestIdOf(request) }, `JWT_JWKS_URL cannot be fetched: ${reason}`),
      }),
      ...(security.rateLimitPerMinute === undefined
        ? []
        : [useRateLimit({ perMinute: security.rateLimitPerMinute, state: options.writes.state, clientOf })]),
      useBoundedErrorMessages(),
      // Hostile queries are refused before any upstream call: the body before it is parsed, the
      // query's shape as it is parsed and validated, its worst-case upstream calls before it runs.
      useRequestBodyLimit({ maxRequestBytes: security.queryLimits.maxRequestBytes }),
      useCsrfPrevention(),
      // After the checks of the request itself, before those of its document: a trusted one passed them at load.
      ...(trusted ? [useTrustedDocuments(trusted)] : []),
      useSchemaExposure({ introspection: security.introspection }),
      useQueryLimits(security.queryLimits),
      useQueryCost({
        maxUpstreamCalls: security.queryLimits.maxUpstreamCalls,
        estimatedAhead: (document, operationName, organizationBound) => trusted?.documents.fixedEstimate(document, operationName, organizationBound),
      }),
      ...(upstreams.cachesReads ? [useReadCache()] : []),
      // Last: it waits for the estimate above, and whatever is admitted runs.
      useAdmission({ admission, clientOf, requestDeadlineMs: options.requestDeadlineMs }),
    ],
  });
}
