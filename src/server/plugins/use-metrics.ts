import type { Plugin } from 'graphql-yoga';
import type { GatewayMetrics } from '../telemetry/metrics.ts';
import { summaryOf, unlessStreamed } from './use-request-summary.ts';

export interface MetricsPluginOptions {
  metrics: GatewayMetrics;
  /** Where Prometheus scrapes; default `/metrics`. */
  path?: string;
}

/**
 * Serves the Prometheus metrics at `GET /metrics` (before authentication, rate limit and CSRF:
 * put it ahead of them), and counts every GraphQL request as it is answered (with
 * `useRequestSummary` among the plugins).
 */
export function useMetrics(options: MetricsPluginOptions): Plugin {
  const { metrics } = options;
  const path = options.path ?? '/metrics';
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== path || (request.method !== 'GET' && request.method !== 'HEAD')) return;
      return metrics.scrape().then(({ contentType, body }) => {
        endResponse(new fetchAPI.Response(request.method === 'HEAD' ? null : body, { status: 200, headers: { 'content-type': contentType, 'cache-control': 'no-store' } }));
      });
    },
    onResponse({ request, response }) {
      const summary = summaryOf(request, response);
      return summary && unlessStreamed(request, summary.then((done) => metrics.requestEnded(done)));
    },
  };
}
