// The little HTTP layer the three independent upstreams share: one node:http server per origin,
// an API prefix with a route table, the added latency, and the /__simulator/ counters the bench
// harness reads. No framework: what a server does with a request stays visible in its own file.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ApiRequest {
  method: string;
  /** the path below the API prefix, percent-decoded per segment by the route matcher */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** parsed JSON body; undefined when there was none */
  body: unknown;
  /** true when a body was sent but it was not JSON */
  badJson: boolean;
  /** the raw query string, as sent (edge keeps it for its Link URLs) */
  rawQuery: string;
}

export interface ApiResponse {
  status: number;
  headers?: Record<string, string>;
  /** undefined: no body at all (204, 202) */
  body?: unknown;
}

export type Handler = (request: ApiRequest, params: Record<string, string>) => ApiResponse | Promise<ApiResponse>;

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: Handler;
}

/**
 * Routes written like `/users/:id/tokens/`. `trailingSlash: 'optional'` also takes the path
 * without its last slash (edge's docs write both); 'required' is Django's strictness (gate).
 */
export class Router {
  readonly #routes: Route[] = [];
  private readonly trailingSlash: 'required' | 'optional' | 'none';
  constructor(trailingSlash: 'required' | 'optional' | 'none') {
    this.trailingSlash = trailingSlash;
  }

  add(method: string, template: string, handler: Handler): this {
    const names: string[] = [];
    let source = template
      .split('/')
      .map((segment) => {
        if (segment.startsWith(':')) {
          names.push(segment.slice(1));
          return '([^/]+)';
        }
        return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    if (this.trailingSlash === 'optional' && source.endsWith('/')) source = `${source.slice(0, -1)}/?`;
    this.#routes.push({ method, pattern: new RegExp(`^${source}$`), names, handler });
    return this;
  }

  /** The handler for a path, or why there is none: 404 (no such path) or 405 (no such method). */
  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | 404 | 405 {
    let pathMatched = false;
    for (const route of this.#routes) {
      const found = route.pattern.exec(path);
      if (!found) continue;
      pathMatched = true;
      if (route.method !== method) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, index) => {
        const raw = found[index + 1] ?? '';
        try {
          params[name] = decodeURIComponent(raw);
        } catch {
          params[name] = raw;
        }
      });
      return { handler: route.handler, params };
    }
    return pathMatched ? 405 : 404;
  }
}

export interface OriginSpec {
  name: string;
  /** the API prefix, e.g. `/api/v1` */
  prefix: string;
  router: Router;
  latencyMs: number;
  /** the body of a 404 / 405 in this upstream's own style */
  notFound: () => ApiResponse;
  methodNotAllowed: (method: string) => ApiResponse;
  badJson: () => ApiResponse;
}

/** What /__simulator/stats answers: the shape the bench harness reads. */
interface Stats {
  requests: number;
  connections: number;
  faulted: number;
  faultedByAction: Record<string, number>;
}

const MAX_BODY_BYTES = 1024 * 1024;
const LOG_WRITES = process.env['INDEP_LOG_WRITES'] === '1';

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new Error('body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

function send(response: ServerResponse, answer: ApiResponse): void {
  const headers: Record<string, string> = { ...(answer.headers ?? {}) };
  if (answer.body === undefined) {
    response.writeHead(answer.status, { ...headers, 'content-length': '0' });
    response.end();
    return;
  }
  const text = JSON.stringify(answer.body);
  response.writeHead(answer.status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  response.end(text);
}

export class Origin {
  readonly server: Server;
  #requests = 0;
  /** sockets are numbered once; the set holds those that carried an API request since reset */
  readonly #socketIds = new WeakMap<Socket, number>();
  #nextSocketId = 1;
  #socketsSeen = new Set<number>();
  readonly #openSockets = new Set<Socket>();

  private readonly spec: OriginSpec;
  constructor(spec: OriginSpec) {
    this.spec = spec;
    this.server = createServer((request, response) => {
      void this.#handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) send(response, { status: 500, body: { detail: 'Internal server error' } });
        else response.destroy();
        console.error(`${spec.name}: ${error instanceof Error ? error.stack : String(error)}`);
      });
    });
    this.server.on('connection', (socket) => {
      this.#openSockets.add(socket);
      socket.on('close', () => this.#openSockets.delete(socket));
    });
  }

  #stats(): Stats {
    return { requests: this.#requests, connections: this.#socketsSeen.size, faulted: 0, faultedByAction: {} };
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://internal');
    const method = request.method ?? 'GET';
    // The harness's counters live outside the API prefix, answer at once and are not counted.
    if (url.pathname === '/__simulator/stats' && method === 'GET') return send(response, { status: 200, body: this.#stats() });
    if (url.pathname === '/__simulator/reset' && method === 'POST') {
      this.#requests = 0;
      this.#socketsSeen = new Set();
      return send(response, { status: 200, body: this.#stats() });
    }
    const raw = await readBody(request);
    const prefix = this.spec.prefix;
    const inPrefix = url.pathname === prefix || url.pathname.startsWith(`${prefix}/`);
    if (inPrefix) {
      this.#requests++;
      const socket = request.socket;
      let id = this.#socketIds.get(socket);
      if (id === undefined) {
        id = this.#nextSocketId++;
        this.#socketIds.set(socket, id);
      }
      this.#socketsSeen.add(id);
    }
    if (this.spec.latencyMs > 0) await sleep(this.spec.latencyMs);
    if (!inPrefix) return send(response, this.spec.notFound());

    let body: unknown;
    let badJson = false;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        badJson = true;
      }
    }
    const path = url.pathname.slice(prefix.length) || '/';
    const rawQuery = (request.url ?? '').includes('?') ? (request.url ?? '').slice((request.url ?? '').indexOf('?') + 1) : '';
    const found = this.spec.router.match(method, path);
    if (found === 404) return send(response, this.spec.notFound());
    if (found === 405) return send(response, this.spec.methodNotAllowed(method));
    if (badJson) return send(response, this.spec.badJson());
    const answer = await found.handler(
      { method, path, query: url.searchParams, headers: request.headers, body, badJson, rawQuery },
      found.params,
    );
    // INDEP_LOG_WRITES=1: every write and its answer on stderr, to show what a client really sent.
    if (LOG_WRITES && method !== 'GET') {
      console.error(`${this.spec.name} ${method} ${url.pathname}${url.search} ${raw.toString('utf8')} -> ${answer.status} ${answer.body === undefined ? '' : JSON.stringify(answer.body).slice(0, 300)}`);
    }
    send(response, answer);
  }

  listen(port: number, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        const address = this.server.address();
        if (address === null || typeof address === 'string') return reject(new Error(`${this.spec.name}: no port`));
        resolve(address.port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      // Idle keep-alive sockets would hold close() open; nothing is under way at shutdown.
      for (const socket of this.#openSockets) socket.destroy();
    });
  }
}

/** A JSON object (not an array, not null): what a body must be to be read as a record. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Query booleans as Django/DRF and Flask servers take them: true/True/1 and false/False/0. */
export function parseBoolean(value: string | null): boolean | undefined {
  if (value === null) return undefined;
  const lowered = value.toLowerCase();
  if (lowered === 'true' || lowered === '1') return true;
  if (lowered === 'false' || lowered === '0') return false;
  return undefined;
}

/** A whole number written plainly, else undefined. */
export function parseWhole(value: string | null): number | undefined {
  if (value === null || !/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}

/**
 * Merges `patch` into `target` key by key, recursing into plain objects (arrays and scalars are
 * replaced): what "PATCH merges nested objects" means for gate.
 */
export function deepMerge(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    const current = result[key];
    result[key] = isObject(current) && isObject(value) ? deepMerge(current, value) : value;
  }
  return result;
}
