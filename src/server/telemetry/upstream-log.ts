import type { Logger } from 'pino';
import type { UpstreamObserver } from '../../upstreams/observer.ts';

/** Distinct payload drifts (upstream, route, field, kind) warned of; past it, new ones are only counted. */
const MAX_DRIFTS_WARNED = 1000;

/**
 * The upstream layer's log: a line per attempt (`debug` when it was answered, `warn` when it
 * failed), per retry (`debug`), per breaker change (`warn` as it opens, `info` as it closes) and
 * per kind of payload drift, once (`warn`). Route templates, statuses and codes only: never a
 * path, a query string, a header or a body.
 */
export function upstreamLogObserver(parent: Logger): UpstreamObserver {
  const logger = parent.child({ logger: 'upstream' });
  const warned = new Set<string>();
  return {
    attemptEnded(attempt, end) {
      // A 404 is an answer ("no such record"), which lookups turn into null.
      const answered = end.outcome === 'ok' || end.outcome === 'UPSTREAM_NOT_FOUND';
      if (answered && !logger.isLevelEnabled('debug')) return;
      const line = {
        requestId: attempt.requestId,
        upstream: attempt.upstream,
        method: attempt.method,
        route: attempt.route,
        attempt: attempt.attempt,
        status: end.status ?? null,
        outcome: end.outcome,
        durationMs: Math.round(end.durationMs * 10) / 10,
      };
      if (answered) logger.debug(line, 'upstream call');
      else logger.warn(line, 'upstream call failed');
    },
    retrying(retry) {
      logger.debug(
        { requestId: retry.requestId, upstream: retry.upstream, method: retry.method, route: retry.route, attempt: retry.attempt, reason: retry.reason, delayMs: Math.round(retry.delayMs) },
        'upstream call retried',
      );
    },
    breakerChanged(upstream, state) {
      const line = { upstream, breaker: state };
      if (state === 'closed') logger.info(line, `${upstream} circuit breaker closed`);
      else logger.warn(line, `${upstream} circuit breaker ${state}`);
    },
    payloadDrift(drift) {
      const key = `${drift.upstream}\u0000${drift.route}\u0000${drift.field}\u0000${drift.kind}`;
      if (warned.has(key) || warned.size >= MAX_DRIFTS_WARNED) return;
      warned.add(key);
      logger.warn(
        { upstream: drift.upstream, route: drift.route, field: drift.field.slice(0, 256), kind: drift.kind },
        `${drift.upstream} payload drift: ${drift.kind} field (counted in upstream_payload_drift_total; not logged again)`,
      );
    },
  };
}
