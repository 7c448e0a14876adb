import type { Plugin } from 'graphql-yoga';
import type { UpstreamHealth } from '../../upstreams/observer.ts';

export interface HealthOptions {
  /** Each upstream's breaker and bulkhead, read at each `/readyz`. */
  upstreams: () => readonly UpstreamHealth[];
  /** Whether shutdown has begun: from then on the gateway is not ready. */
  shuttingDown: () => boolean;
}

/** What `/readyz` answers. */
export interface Readiness {
  ready: boolean;
  upstreams: Record<string, Omit<UpstreamHealth, 'upstream'>>;
  shuttingDown: boolean;
}

export function readinessOf(options: HealthOptions): Readiness {
  const upstreams: Readiness['upstreams'] = {};
  let anyOpen = false;
  for (const { upstream, breaker, inFlight, queued } of options.upstreams()) {
    upstreams[upstream] = { breaker, inFlight, queued };
    if (breaker === 'open') anyOpen = true;
  }
  const shuttingDown = options.shuttingDown();
  return { ready: !anyOpen && !shuttingDown, upstreams, shuttingDown };
}

/**
 * `GET /healthz`: 200 `{"status":"ok"}` while the process runs (liveness). `GET /readyz`: 200 while
 * the gateway should get traffic, 503 while some upstream's breaker is open or shutdown has begun
 * (readiness), with each upstream's breaker and bulkhead. Neither needs a credential (they reveal
 * no data) or counts against the rate limit: put this plugin ahead of those.
 */
export function useHealth(options: HealthOptions): Plugin {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return;
      const answer = (status: number, body: unknown) =>
        endResponse(
          new fetchAPI.Response(request.method === 'HEAD' ? null : JSON.stringify(body), {
            status,
            headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
          }),
        );
      if (url.pathname === '/healthz') answer(200, { status: 'ok' });
      else if (url.pathname === '/readyz') {
        const readiness = readinessOf(options);
        answer(readiness.ready ? 200 : 503, readiness);
      }
    },
  };
}
