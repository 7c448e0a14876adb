export type UpstreamName = 'gate' | 'edge' | 'switch';

/** Stable codes: the server turns them into `extensions.code` of GraphQL errors. */
export type UpstreamErrorCode =
  | 'UPSTREAM_UNAUTHENTICATED'
  | 'UPSTREAM_FORBIDDEN'
  | 'UPSTREAM_NOT_FOUND'
  | 'UPSTREAM_BAD_REQUEST'
  | 'UPSTREAM_CONFLICT'
  | 'UPSTREAM_ERROR'
  | 'UPSTREAM_RATE_LIMITED'
  | 'UPSTREAM_UNREACHABLE'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_CIRCUIT_OPEN'
  | 'UPSTREAM_OVERLOADED'
  | 'UPSTREAM_BAD_RESPONSE'
  | 'UPSTREAM_MISCONFIGURED'
  | 'UPSTREAM_RESPONSE_TOO_LARGE'
  | 'UPSTREAM_LIST_TOO_LONG'
  | 'UPSTREAM_SEARCH_TOO_BROAD';

export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  /**
   * A write reached the upstream but no answer came back (a reset or a timeout after sending): it
   * may or may not have landed, so only reading back can tell.
   */
  readonly answerLost: boolean;
  /** When the upstream said to ask again (`Retry-After`), in seconds. */
  readonly retryAfterSeconds: number | undefined;

  readonly upstream: UpstreamName;
  readonly code: UpstreamErrorCode;
  readonly status?: number;
  constructor(
    upstream: UpstreamName,
    code: UpstreamErrorCode,
    message: string,
    status?: number,
    options?: { cause?: unknown; answerLost?: boolean; retryAfterSeconds?: number },
  ) {
    super(message, options);
    this.upstream = upstream;
    this.code = code;
    this.status = status;
    this.answerLost = options?.answerLost ?? false;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

/**
 * How a write that failed leaves the record: `refused` (it did not land), `answered` (the exchange
 * ended without a usable answer: a 5xx, an unreadable or oversized body, the connection closed by
 * the other side; it may have landed, and a read-back tells), or `unanswered` (the gateway gave up
 * waiting, or a proxy did: a timeout after sending, a 502 or 504; it may have landed, or may still
 * land later, so a read-back that does not show it proves nothing).
 */
export type WriteFault = 'refused' | 'answered' | 'unanswered';

export function writeFault(error: unknown): WriteFault {
  if (!(error instanceof UpstreamError)) return 'refused';
  if ((error.answerLost && error.code === 'UPSTREAM_TIMEOUT') || error.status === 502 || error.status === 504) return 'unanswered';
  if (error.answerLost || error.code === 'UPSTREAM_BAD_RESPONSE' || error.code === 'UPSTREAM_RESPONSE_TOO_LARGE') return 'answered';
  return error.status !== undefined && error.status >= 500 ? 'answered' : 'refused';
}
