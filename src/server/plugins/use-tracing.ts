import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { Plugin } from 'graphql-yoga';
import type { Tracing } from '../telemetry/tracing.ts';
import { summaryOf, unlessStreamed } from './use-request-summary.ts';

export interface TracingPluginOptions {
  tracing: Tracing;
  graphqlEndpoint: string;
}

const spans = new WeakMap<Request, Span>();

/**
 * One span per GraphQL request, `graphql <operation>` (`graphql anonymous` for an unnamed one),
 * active while the request is handled: the upstream attempts' spans (`Tracing.observer`) are its
 * children. Its attributes: `request.id`, `graphql.operation.name`, `graphql.operation.type`,
 * `graphql.outcome`, `graphql.error.codes`, `http.response.status_code`, `enduser.id`.
 * Needs `useRequestSummary` among the plugins.
 */
export function useTracing(options: TracingPluginOptions): Plugin {
  const { tracer } = options.tracing;
  return {
    instrumentation: {
      request({ request }, wrapped) {
        if (!request.url.includes(options.graphqlEndpoint)) return wrapped();
        const span = tracer.startSpan('graphql', { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method } });
        spans.set(request, span);
        // Ended by onResponse; here only when the request failed before it got that far.
        const unended = () => {
          if (spans.get(request) !== span) return;
          spans.delete(request);
          span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        };
        const handled = context.with(trace.setSpan(context.active(), span), wrapped);
        if (handled instanceof Promise) return handled.finally(unended);
        unended();
        return handled;
      },
    },
    onResponse({ request, response }) {
      const span = spans.get(request);
      if (!span) return;
      spans.delete(request);
      const summary = summaryOf(request, response);
      if (!summary) {
        // Not a GraphQL request after all (GraphiQL's page, another path).
        span.end();
        return;
      }
      // An answer in parts ends its span after its last part.
      return unlessStreamed(request, summary.then((done) => {
        span.updateName(`graphql ${done.operationName ?? 'anonymous'}`);
        span.setAttributes({
          'request.id': done.requestId,
          'graphql.outcome': done.outcome,
          'http.response.status_code': done.status,
          ...(done.operationName !== undefined && { 'graphql.operation.name': done.operationName }),
          ...(done.operationType !== undefined && { 'graphql.operation.type': done.operationType }),
          ...(done.errorCodes.length && { 'graphql.error.codes': done.errorCodes }),
          ...(done.caller !== undefined && { 'enduser.id': done.caller }),
        });
        if (done.outcome !== 'ok') span.setStatus({ code: SpanStatusCode.ERROR, message: done.outcome });
        span.end();
      }));
    },
  };
}
