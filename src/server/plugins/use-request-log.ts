import type { Plugin } from 'graphql-yoga';
import { summaryOf, unlessStreamed, type RequestSummary } from './use-request-summary.ts';

/** Where the lines go: a pino logger (object first, then the message). */
export interface RequestLogger {
  info(line: object, message: string): void;
}

export interface RequestLogOptions {
  logger: RequestLogger;
}

/** The line of one request: names, codes and numbers only, never a credential, a variable or a query. */
export function requestLine(summary: RequestSummary) {
  return {
    requestId: summary.requestId,
    operation: summary.operationName ?? null,
    operationType: summary.operationType ?? null,
    ...(summary.document?.id ? { documentId: summary.document.id } : {}),
    outcome: summary.outcome,
    status: summary.status,
    ...(summary.errorCodes.length ? { errorCodes: summary.errorCodes } : {}),
    ...(summary.failures.length ? { failures: summary.failures } : {}),
    durationMs: Math.round(summary.durationMs * 10) / 10,
    caller: summary.caller ?? null,
  };
}

/**
 * One `info` line per GraphQL request as it is answered, an answer in parts after its last part (see `useRequestSummary`, which must be
 * among the plugins): `{"requestId", "operation", "operationType", "outcome", "status",
 * "errorCodes", "failures", "durationMs", "caller", "msg": "graphql request"}`, and `documentId`
 * (`sha256:<hex>`) for a request that named its document by id.
 */
export function useRequestLog(options: RequestLogOptions): Plugin {
  const { logger } = options;
  return {
    onResponse({ request, response }) {
      const summary = summaryOf(request, response);
      return summary && unlessStreamed(request, summary.then((done) => logger.info(requestLine(done), 'graphql request')));
    },
  };
}
