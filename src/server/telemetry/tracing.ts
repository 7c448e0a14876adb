import { context, SpanKind, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { BatchSpanProcessor, NodeTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-node';
import type { UpstreamObserver } from '../../upstreams/observer.ts';

export interface TracingOptions {
  serviceName: string;
  /** Where spans go: the OTLP/HTTP exporter in production, an `InMemorySpanExporter` in tests. */
  exporter: SpanExporter;
  /** `batch` (default) exports in the background; `simple` exports each span as it ends (tests). */
  processor?: 'batch' | 'simple';
}

/**
 * The gateway's traces: a span per GraphQL request (`useTracing`) and a child span per upstream
 * attempt (`observer`). The provider is not registered globally: only the gateway's own spans are
 * made, by its own tracer, and several gateways (tests) can trace side by side.
 */
export class Tracing {
  readonly tracer: Tracer;
  readonly #provider: NodeTracerProvider;

  constructor(options: TracingOptions) {
    useAsyncContext();
    this.#provider = new NodeTracerProvider({
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
      spanProcessors: [
        options.processor === 'simple' ? new SimpleSpanProcessor(options.exporter) : new BatchSpanProcessor(options.exporter, { exportTimeoutMillis: 5_000 }),
      ],
    });
    this.tracer = this.#provider.getTracer('user-gateway');
  }

  /** A child span of the active one (the request's) per upstream attempt. */
  readonly observer: UpstreamObserver = {
    attemptStarted: (attempt) => {
      const span: Span = this.tracer.startSpan(
        `${attempt.upstream} ${attempt.method} ${attempt.route}`,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            upstream: attempt.upstream,
            'http.request.method': attempt.method,
            'http.route': attempt.route,
            'upstream.attempt': attempt.attempt,
            'request.id': attempt.requestId,
          },
        },
        context.active(),
      );
      return (end) => {
        if (end.status !== undefined) span.setAttribute('http.response.status_code', end.status);
        span.setAttribute('upstream.outcome', end.outcome);
        if (end.outcome !== 'ok') span.setStatus({ code: SpanStatusCode.ERROR, message: end.outcome });
        span.end();
      };
    },
  };

  /** Exports what is left: part of shutdown. */
  async shutdown(): Promise<void> {
    await this.#provider.shutdown();
  }
}

/** Tracing to an OTLP/HTTP collector at `endpoint` (`OTEL_EXPORTER_OTLP_ENDPOINT`, e.g. `http://127.0.0.1:4318`). */
export function otlpTracing(settings: { endpoint: string; serviceName: string }): Tracing {
  const exporter = new OTLPTraceExporter({ url: `${settings.endpoint.replace(/\/+$/, '')}/v1/traces`, timeoutMillis: 5_000 });
  return new Tracing({ serviceName: settings.serviceName, exporter });
}

let asyncContext = false;

/**
 * The active span follows the request through promises and timers (AsyncLocalStorage). Set once
 * per process, and only when tracing is on: without it `context.with` costs nothing.
 */
function useAsyncContext(): void {
  if (asyncContext) return;
  asyncContext = context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}
