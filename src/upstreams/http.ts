import type { IncomingHttpHeaders } from 'node:http';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';

export type UpstreamName = 'gate' | 'edge' | 'switch';

/** Stable codes: the server turns them into `extensions.code` of GraphQL errors. */
export type UpstreamErrorCode =
  | 'UPSTREAM_UNAUTHENTICATED'
  | 'UPSTREAM_FORBIDDEN'
  | 'UPSTREAM_NOT_FOUND'
  | 'UPSTREAM_BAD_REQUEST'
  | 'UPSTREAM_CONFLICT'
  | 'UPSTREAM_ERROR'
  | 'UPSTREAM_UNREACHABLE'
  | 'UPSTREAM_BAD_RESPONSE';

export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';

  constructor(
    readonly upstream: UpstreamName,
    readonly code: UpstreamErrorCode,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const codeByStatus: Record<number, UpstreamErrorCode> = {
  400: 'UPSTREAM_BAD_REQUEST',
  401: 'UPSTREAM_UNAUTHENTICATED',
  403: 'UPSTREAM_FORBIDDEN',
  404: 'UPSTREAM_NOT_FOUND',
  409: 'UPSTREAM_CONFLICT',
  422: 'UPSTREAM_BAD_REQUEST',
};

export type QueryValue = string | number | boolean | undefined;
export type QueryParams = Record<string, QueryValue>;

export interface UpstreamCall {
  method?: Dispatcher.HttpMethod;
  /** Path below the upstream's base URL, e.g. `/user/`. */
  path: string;
  query?: QueryParams;
  body?: unknown;
}

export interface UpstreamReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface UpstreamEndpoint {
  /** Base URL including the API prefix, e.g. `http://127.0.0.1:9001/api/v1`. */
  baseUrl: string;
  /** Credentials and other headers sent with every call. */
  headers: Record<string, string>;
  connections: number;
  timeoutMs: number;
}

function buildQueryString(query: QueryParams | undefined): string {
  if (!query) return '';
  let search = '';
  for (const key in query) {
    const value = query[key];
    if (value === undefined) continue;
    search += `${search ? '&' : '?'}${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`;
  }
  return search;
}

/**
 * One long-lived keep-alive pool per upstream. Knows HTTP, JSON and the request id; knows nothing
 * of any upstream's endpoints or of GraphQL.
 */
export class UpstreamHttp {
  readonly #pool: Pool;
  readonly #origin: string;
  readonly #basePath: string;
  readonly #headers: Record<string, string>;

  constructor(
    readonly upstream: UpstreamName,
    endpoint: UpstreamEndpoint,
  ) {
    const url = new URL(endpoint.baseUrl);
    this.#origin = url.origin;
    this.#basePath = url.pathname.replace(/\/+$/, '');
    this.#headers = { accept: 'application/json', ...endpoint.headers };
    this.#pool = new Pool(url.origin, {
      connections: endpoint.connections,
      keepAliveTimeout: 30_000,
      headersTimeout: endpoint.timeoutMs,
      bodyTimeout: endpoint.timeoutMs,
    });
  }

  /** Turns a URL the upstream handed out (a `Link` header, say; maybe relative) into a call on this pool. */
  callForUrl(url: string): UpstreamCall {
    const { pathname, search } = new URL(url, this.#origin);
    // Credentials only ever go to the configured origin: the link's host is ignored on purpose.
    const path = pathname.startsWith(this.#basePath) ? pathname.slice(this.#basePath.length) : pathname;
    return { path: path + search };
  }

  async request(call: UpstreamCall, requestId: string): Promise<UpstreamReply> {
    const method = call.method ?? 'GET';
    const headers: Record<string, string> = { ...this.#headers, 'x-request-id': requestId };
    let body: string | undefined;
    if (call.body !== undefined) {
      body = JSON.stringify(call.body);
      headers['content-type'] = 'application/json';
    }
    let response: Dispatcher.ResponseData;
    let text: string;
    try {
      response = await this.#pool.request({
        method,
        path: this.#basePath + call.path + buildQueryString(call.query),
        headers,
        body,
      });
      text = await response.body.text();
    } catch (error) {
      // No connection, a reset, or no headers or body within the timeout.
      throw new UpstreamError(this.upstream, 'UPSTREAM_UNREACHABLE', `${this.upstream} could not be reached`, undefined, {
        cause: error,
      });
    }
    const status = response.statusCode;
    const parsed = text ? this.#parseJson(text, status) : undefined;
    if (status < 200 || status >= 300) {
      throw new UpstreamError(
        this.upstream,
        codeByStatus[status] ?? 'UPSTREAM_ERROR',
        `${this.upstream} answered ${status} to ${method} ${call.path.split('?')[0]}`,
        status,
        { cause: parsed },
      );
    }
    return { status, headers: response.headers, body: parsed };
  }

  #parseJson(text: string, status: number): unknown {
    try {
      return JSON.parse(text);
    } catch (error) {
      if (status >= 400) return text;
      throw new UpstreamError(this.upstream, 'UPSTREAM_BAD_RESPONSE', `${this.upstream} sent a body that is not JSON`, status, {
        cause: error,
      });
    }
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}

/** Lookups by id answer 404 for a missing record: that is an absent value, not a failure. */
export async function nullWhenNotFound<T>(lookup: Promise<T>): Promise<T | null> {
  try {
    return await lookup;
  } catch (error) {
    if (error instanceof UpstreamError && error.code === 'UPSTREAM_NOT_FOUND') return null;
    throw error;
  }
}
