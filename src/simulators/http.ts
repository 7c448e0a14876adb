// Minimal node:http plumbing shared by the three simulated upstreams: routing, body parsing,
// auth-header parsing, query parsing, field validation, latency, fault injection and the request log.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JsonObject, JsonValue } from './dataset.ts';
import { checkFaultRule, type FaultAction, type FaultRule } from './faults.ts';

export type UpstreamName = 'gate' | 'edge' | 'switch';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface SimulatedRequest {
  upstream: UpstreamName;
  method: string;
  /** full path as requested, without the query string */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** the x-request-id header, if any */
  requestId: string | undefined;
  /** performance.now() when the request arrived */
  startedAt: number;
  /** performance.now() when the response was sent; NaN while in flight */
  endedAt: number;
  /** 0 while in flight, or when a fault left it unanswered */
  status: number;
}

export interface Reply {
  status: number;
  /** JSON-serialised; absent means an empty body */
  body?: unknown;
  headers?: OutgoingHttpHeaders;
}

export interface RequestContext {
  method: HttpMethod;
  /** path below the API prefix, e.g. "/user/10001/" */
  path: string;
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** "http://host:port" as named by the request's Host header */
  origin: string;
  /** parsed JSON object for POST/PUT/PATCH, {} otherwise */
  body: JsonObject;
}

export type RouteHandler = (context: RequestContext) => Reply;

export interface Route {
  method: HttpMethod;
  /** below the prefix; ":name" segments are parameters; a trailing slash is optional on requests */
  pattern: string;
  handler: RouteHandler;
}

export interface SimulatorDefinition {
  upstream: UpstreamName;
  /** e.g. "/api/v1" */
  prefix: string;
  routes: readonly Route[];
  /** undefined lets the request through; a Reply rejects it */
  authenticate(headers: IncomingHttpHeaders): Reply | undefined;
  /** the upstream's error body for generic failures (404, 405, malformed JSON, 500) */
  errorBody(status: number, message: string): unknown;
}

export interface SimulatorServerOptions {
  latencyMs?: number;
  /** every API request is appended here; /__simulator/ calls are not */
  requestLog?: SimulatedRequest[];
  /** rolls the dice of rules with a `chance` (default Math.random); tests pass their own */
  random?: () => number;
}

/** What /__simulator/stats answers: API requests, the connections first used for them, and the faults that fired on them, since start or the last reset. */
export interface SimulatorStats {
  requests: number;
  /** connections that carried their first API request (control requests aside): how well a client reuses them */
  connections: number;
  /** requests a fault rule fired on */
  faulted: number;
  /** the same, by the rule's action */
  faultedByAction: Partial<Record<FaultAction['action'], number>>;
}

export interface SimulatorServer {
  readonly upstream: UpstreamName;
  readonly server: Server;
  /** API requests since start or the last reset */
  readonly requestCount: number;
  /** the counters of /__simulator/stats (a copy) */
  stats(): SimulatorStats;
  /** zeroes the counters of /__simulator/stats */
  resetRequestCount(): void;
  /**
   * Makes the next matching API request(s) fail as the rule says; throws on an invalid rule.
   * Faults fire before authentication, as a failing proxy in front of the upstream would.
   */
  injectFault(rule: FaultRule): void;
  clearFaults(): void;
  /** Resolves once `count` requests are held by `hold` faults (waiting to be released). */
  whenHeld(count?: number): Promise<void>;
  /** Lets every held request go on; resolves, with how many, once each has been handled (a write landed). */
  releaseHeld(): Promise<number>;
  /** resolves to "http://host:port" */
  listen(port: number, host: string): Promise<string>;
  close(): Promise<void>;
}

// ---- replies ----

export function json(status: number, body: unknown, headers?: OutgoingHttpHeaders): Reply {
  return headers ? { status, body, headers } : { status, body };
}

export function empty(status: number): Reply {
  return { status };
}

interface SerializedReply {
  status: number;
  headers: OutgoingHttpHeaders;
  text: string | undefined;
}

/** Serialised at once, so that a latency delay cannot leak writes that happen meanwhile. */
function serialize(reply: Reply): SerializedReply {
  if (reply.body === undefined) return { status: reply.status, headers: { ...reply.headers }, text: undefined };
  return {
    status: reply.status,
    headers: { 'content-type': 'application/json', ...reply.headers },
    text: JSON.stringify(reply.body),
  };
}

function send(response: ServerResponse, reply: SerializedReply): void {
  response.writeHead(reply.status, {
    ...reply.headers,
    'content-length': reply.text === undefined ? 0 : Buffer.byteLength(reply.text),
  });
  response.end(reply.text);
}

// ---- routing ----

interface PathPattern {
  regex: RegExp;
  parameterNames: string[];
}

interface CompiledRoute extends Route, PathPattern {}

function compilePathPattern(pattern: string): PathPattern {
  const parameterNames: string[] = [];
  const source = pattern
    .replace(/\/+$/, '')
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      parameterNames.push(segment.slice(1));
      return '([^/]+)';
    })
    .join('/');
  return { regex: new RegExp(`^${source}/?$`), parameterNames };
}

function compileRoute(route: Route): CompiledRoute {
  return { ...route, ...compilePathPattern(route.pattern) };
}

/** "/user/1/" for "/api/v1/user/1/" under "/api/v1"; undefined outside the prefix. */
function pathBelowPrefix(prefix: string, pathname: string): string | undefined {
  if (pathname !== prefix && !pathname.startsWith(`${prefix}/`)) return undefined;
  return pathname.slice(prefix.length) || '/';
}

function matchParameters(route: CompiledRoute, path: string): Record<string, string> | undefined {
  const match = route.regex.exec(path);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  for (const [index, name] of route.parameterNames.entries()) {
    const raw = match[index + 1] ?? '';
    try {
      params[name] = decodeURIComponent(raw);
    } catch {
      params[name] = raw;
    }
  }
  return params;
}

const BODY_METHODS = new Set<string>(['POST', 'PUT', 'PATCH']);
const MAX_BODY_BYTES = 1_000_000;
/** The longest request target (path and query) taken, as common servers have it (nginx, Apache: 8 KiB); longer is 414. */
export const MAX_REQUEST_TARGET_BYTES = 8192;

class BodyTooLargeError extends Error {}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError('request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function pythonTypeName(value: unknown): string {
  if (Array.isArray(value)) return 'list';
  if (value === null) return 'NoneType';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return 'dict';
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An empty body counts as {} (as a form-less DRF request would). */
function parseJsonObject(text: string): { ok: true; value: JsonObject } | { ok: false; message: string } {
  if (text.trim() === '') return { ok: true, value: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `JSON parse error - ${(error as Error).message}` };
  }
  if (!isJsonObject(parsed)) {
    return { ok: false, message: `Invalid data. Expected a dictionary, but got ${pythonTypeName(parsed)}.` };
  }
  return { ok: true, value: parsed };
}

function delay(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

// ---- faults ----

interface ArmedFault {
  rule: FaultRule;
  pathPattern: RegExp | undefined;
  /** Infinity for "always" */
  remaining: number;
  /** 1 when the rule has none */
  chance: number;
}

function armFault(rule: FaultRule): ArmedFault {
  const times = rule.times ?? 1;
  return {
    rule,
    pathPattern: rule.path === undefined ? undefined : compilePathPattern(rule.path).regex,
    remaining: times === 'always' ? Infinity : times,
    chance: rule.chance ?? 1,
  };
}

function faultMatches(fault: ArmedFault, method: string, path: string): boolean {
  return (fault.rule.method === undefined || fault.rule.method === method) && (fault.pathPattern?.test(path) ?? true);
}

/** `times` is what is left, so a listed rule can be POSTed back as it is (JSON has no Infinity). */
function describeFault(fault: ArmedFault): FaultRule {
  return { ...fault.rule, times: fault.remaining === Infinity ? 'always' : fault.remaining };
}

/** What a proxy's error page looks like to a client that trusts a 200 to be JSON. */
const MALFORMED_TEXT = '<html><body><h1>Bad Gateway</h1></body></html>';

function garble(reply: SerializedReply, action: 'malformed' | 'truncated'): SerializedReply {
  const text = reply.text ?? '';
  return {
    status: 200,
    headers: { ...reply.headers, 'content-type': 'application/json' },
    text: action === 'malformed' ? MALFORMED_TEXT : text.slice(0, Math.floor(text.length / 2)),
  };
}

const CONTROL_PREFIX = '/__simulator/';
const FAULTS_CONTROL_PATH = `${CONTROL_PREFIX}faults`;

export function createSimulatorServer(definition: SimulatorDefinition, options: SimulatorServerOptions = {}): SimulatorServer {
  const routes = definition.routes.map(compileRoute);
  const latencyMs = options.latencyMs ?? 0;
  const random = options.random ?? Math.random;
  let requestCount = 0;
  let connectionCount = 0;
  /** Sockets already counted in `connectionCount`; weak, as they come and go. */
  const apiConnections = new WeakSet<object>();
  let faultedCount = 0;
  let faultedByAction: SimulatorStats['faultedByAction'] = {};
  /** in the order added; used-up faults are removed */
  const faults: ArmedFault[] = [];

  /**
   * The first matching fault whose chance comes up, consumed and counted; undefined lets the request
   * through. A rule whose dice say no is passed over, unconsumed.
   */
  function takeFault(method: string, path: string): FaultRule | undefined {
    const index = faults.findIndex((fault) => faultMatches(fault, method, path) && (fault.chance >= 1 || random() < fault.chance));
    const fault = faults[index];
    if (!fault) return undefined;
    fault.remaining--;
    if (fault.remaining === 0) faults.splice(index, 1);
    faultedCount++;
    faultedByAction[fault.rule.action] = (faultedByAction[fault.rule.action] ?? 0) + 1;
    return fault.rule;
  }

  function stats(): SimulatorStats {
    return { requests: requestCount, connections: connectionCount, faulted: faultedCount, faultedByAction: { ...faultedByAction } };
  }

  function resetStats(): void {
    requestCount = 0;
    connectionCount = 0;
    faultedCount = 0;
    faultedByAction = {};
  }

  /** The upstream's own error answer (see the refuse and fail-after actions). */
  function refusal(fault: Extract<FaultRule, { action: 'refuse' | 'fail-after' }>): Reply {
    const status = fault.status ?? 500;
    return json(status, definition.errorBody(status >= 400 ? status : 500, fault.message ?? 'Simulated failure.'));
  }

  function clearFaults(): void {
    faults.length = 0;
  }

  /** Requests a `hold` fault keeps waiting (each with what tells that it was handled), and tests waiting for some to arrive. */
  const heldRequests: { release: () => void; handled: Promise<void> }[] = [];
  const heldWaiters: { count: number; arrived: () => void }[] = [];

  /** Resolves when the test releases the request, with what to call once it has been handled. */
  function hold(): Promise<() => void> {
    let handled!: () => void;
    const handledPromise = new Promise<void>((resolve) => (handled = resolve));
    return new Promise((release) => {
      heldRequests.push({ release: () => release(handled), handled: handledPromise });
      for (const waiter of heldWaiters.filter(({ count }) => heldRequests.length >= count)) {
        heldWaiters.splice(heldWaiters.indexOf(waiter), 1);
        waiter.arrived();
      }
    });
  }

  async function releaseHeld(): Promise<number> {
    const released = heldRequests.splice(0);
    for (const { release } of released) release();
    await Promise.all(released.map(({ handled }) => handled));
    return released.length;
  }

  function faultList(status: number): Reply {
    return json(status, { faults: faults.map(describeFault) });
  }

  async function addFaultFromBody(request: IncomingMessage): Promise<Reply> {
    const parsed = parseJsonObject(await readBody(request));
    if (!parsed.ok) return json(400, { detail: parsed.message });
    const checked = checkFaultRule(parsed.value);
    if (!checked.ok) return json(400, checked.errors);
    faults.push(armFault(checked.rule));
    return faultList(201);
  }

  async function answerControl(request: IncomingMessage, method: string, path: string): Promise<Reply> {
    if (method === 'GET' && path === `${CONTROL_PREFIX}stats`) return json(200, stats());
    if (method === 'POST' && path === `${CONTROL_PREFIX}release`) return json(200, { released: await releaseHeld() });
    if (method === 'POST' && path === `${CONTROL_PREFIX}reset`) {
      resetStats();
      return json(200, stats());
    }
    if (path === FAULTS_CONTROL_PATH) {
      if (method === 'GET') return faultList(200);
      if (method === 'POST') return addFaultFromBody(request);
      if (method === 'DELETE') {
        clearFaults();
        return faultList(200);
      }
    }
    return json(404, { detail: 'Not found.' });
  }

  /** `received`: the body, when it was read before (a held request reads it as it arrives, as a server would). */
  async function dispatch(request: IncomingMessage, method: string, path: string | undefined, query: URLSearchParams, received?: string): Promise<Reply> {
    if (path === undefined) return json(404, definition.errorBody(404, 'Not found.'));
    const rejection = definition.authenticate(request.headers);
    if (rejection) return rejection;

    const allowed = new Set<string>();
    for (const route of routes) {
      const params = matchParameters(route, path);
      if (!params) continue;
      if (route.method !== method) {
        allowed.add(route.method);
        continue;
      }
      let body: JsonObject = {};
      if (BODY_METHODS.has(method)) {
        const parsed = parseJsonObject(received ?? (await readBody(request)));
        if (!parsed.ok) return json(400, definition.errorBody(400, parsed.message));
        body = parsed.value;
      }
      return route.handler({
        method: route.method,
        path,
        params,
        query,
        headers: request.headers,
        origin: `http://${request.headers.host ?? 'localhost'}`,
        body,
      });
    }
    if (allowed.size > 0) {
      return json(405, definition.errorBody(405, `Method "${method}" not allowed.`), { allow: [...allowed].join(', ') });
    }
    return json(404, definition.errorBody(404, 'Not found.'));
  }

  /** A throw answers 500 (413 for an oversized body) rather than leaving the client waiting. */
  async function replyOrError(produce: () => Promise<Reply>): Promise<SerializedReply> {
    try {
      return serialize(await produce());
    } catch (error) {
      const status = error instanceof BodyTooLargeError ? 413 : 500;
      return serialize(json(status, definition.errorBody(status, status === 413 ? 'Request body too large.' : 'Internal server error.')));
    }
  }

  /** The record keeps status 0: nothing was answered. */
  function resetConnection(response: ServerResponse, record: SimulatedRequest): void {
    record.endedAt = performance.now();
    response.destroy();
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    const url = new URL(request.url ?? '/', 'http://simulator.invalid');
    if (url.pathname.startsWith(CONTROL_PREFIX)) {
      send(response, await replyOrError(() => answerControl(request, method, url.pathname)));
      return;
    }
    requestCount++;
    if (!apiConnections.has(request.socket)) {
      apiConnections.add(request.socket);
      connectionCount++;
    }
    const record: SimulatedRequest = {
      upstream: definition.upstream,
      method,
      path: url.pathname,
      query: url.searchParams,
      headers: request.headers,
      requestId: singleHeader(request.headers, 'x-request-id'),
      startedAt: performance.now(),
      endedAt: Number.NaN,
      status: 0,
    };
    options.requestLog?.push(record);
    if ((request.url ?? '').length > MAX_REQUEST_TARGET_BYTES) {
      record.endedAt = performance.now();
      record.status = 414;
      send(response, serialize(json(414, definition.errorBody(414, 'Request-URI Too Long'))));
      return;
    }
    const path = pathBelowPrefix(definition.prefix, url.pathname);
    const fault = path === undefined ? undefined : takeFault(method, path);
    // A hung request is never answered; close() destroys its socket.
    if (fault?.action === 'hang') return;
    if (fault?.action === 'reset-before') {
      resetConnection(response, record);
      return;
    }
    // A held request has arrived whole: it is handled on release even if its client has gone.
    const received = fault?.action === 'hold' && BODY_METHODS.has(method) ? await readBody(request).catch(() => '') : undefined;
    const handled = fault?.action === 'hold' ? await hold() : undefined;
    const reply = fault?.action === 'status'
      ? serialize(json(fault.status, fault.body, fault.headers))
      : fault?.action === 'refuse'
        ? serialize(refusal(fault))
        : await replyOrError(() => dispatch(request, method, path, url.searchParams, received));
    handled?.();
    const waitMs = latencyMs + (fault?.action === 'delay' ? fault.ms : 0);
    if (waitMs > 0) await delay(waitMs);
    if (fault?.action === 'reset-after') {
      resetConnection(response, record);
      return;
    }
    const delivered = fault?.action === 'malformed' || fault?.action === 'truncated'
      ? garble(reply, fault.action)
      : fault?.action === 'fail-after'
        ? serialize(refusal(fault))
        : reply;
    // Stamped before sending: an in-process client may see the response before a 'finish' event fires.
    record.endedAt = performance.now();
    record.status = delivered.status;
    send(response, delivered);
  }

  const server = createServer((request, response) => {
    void handle(request, response);
  });

  return {
    upstream: definition.upstream,
    server,
    get requestCount() {
      return requestCount;
    },
    stats,
    resetRequestCount: resetStats,
    injectFault(rule) {
      const checked = checkFaultRule(rule);
      if (!checked.ok) throw new Error(`invalid fault rule: ${JSON.stringify(checked.errors)}`);
      faults.push(armFault(checked.rule));
    },
    clearFaults,
    whenHeld(count = 1) {
      if (heldRequests.length >= count) return Promise.resolve();
      return new Promise((arrived) => heldWaiters.push({ count, arrived }));
    },
    releaseHeld,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve(`http://${hostForUrl}:${address.port}`);
        });
      });
    },
    close() {
      return new Promise((resolve, reject) => {
        if (!server.listening) {
          resolve();
          return;
        }
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

// ---- authentication headers ----

export function readAuthorization(headers: IncomingHttpHeaders): { scheme: string; credentials: string } | undefined {
  const header = headers.authorization?.trim();
  if (!header) return undefined;
  const space = header.indexOf(' ');
  if (space < 0) return { scheme: header.toLowerCase(), credentials: '' };
  return { scheme: header.slice(0, space).toLowerCase(), credentials: header.slice(space + 1).trim() };
}

/** "user:secret" split at the first colon. */
export function splitUserSecret(text: string): { user: string; secret: string } | undefined {
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  return { user: text.slice(0, colon), secret: text.slice(colon + 1) };
}

export function decodeBasicCredentials(credentials: string): { user: string; secret: string } | undefined {
  return splitUserSecret(Buffer.from(credentials, 'base64').toString('utf8'));
}

export function singleHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

// ---- query parameters ----

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** A filter's value, or undefined when absent or empty (empty filters are ignored, as django-filter does). */
export function filterValue(query: URLSearchParams, name: string): string | undefined {
  const value = query.get(name);
  return value === null || value === '' ? undefined : value;
}

/** Integer parameter with a default, a lower bound and an optional ceiling that clamps. */
export function parseIntegerParam(
  query: URLSearchParams,
  name: string,
  rules: { fallback: number; min: number; clampTo?: number },
): Parsed<number> {
  const raw = query.get(name);
  if (raw === null || raw === '') return { ok: true, value: rules.fallback };
  if (!/^[+-]?\d+$/.test(raw.trim())) return { ok: false, message: 'A valid integer is required.' };
  const value = Number.parseInt(raw, 10);
  if (value < rules.min) return { ok: false, message: `Ensure this value is greater than or equal to ${rules.min}.` };
  return { ok: true, value: rules.clampTo === undefined ? value : Math.min(value, rules.clampTo) };
}

/** Optional boolean parameter: undefined when absent or empty. */
export function parseBooleanParam(query: URLSearchParams, name: string): Parsed<boolean | undefined> {
  const raw = filterValue(query, name)?.toLowerCase();
  if (raw === undefined) return { ok: true, value: undefined };
  if (raw === 'true' || raw === '1') return { ok: true, value: true };
  if (raw === 'false' || raw === '0') return { ok: true, value: false };
  return { ok: false, message: 'Must be a valid boolean.' };
}

/** A lenient on/off flag such as ?balance=true: anything but a true-ish value is off. */
export function isFlagSet(query: URLSearchParams, name: string): boolean {
  const raw = query.get(name)?.toLowerCase();
  return raw === 'true' || raw === '1' || raw === 'yes';
}

export function includesIgnoringCase(haystack: string | null, needle: string): boolean {
  return haystack !== null && haystack.toLowerCase().includes(needle.toLowerCase());
}

/** base + the request's query with some parameters replaced (undefined removes one). */
export function urlWithQuery(base: string, query: URLSearchParams, replacements: Record<string, string | undefined>): string {
  const next = new URLSearchParams(query);
  for (const [name, value] of Object.entries(replacements)) {
    if (value === undefined) next.delete(name);
    else next.set(name, value);
  }
  const text = next.toString();
  return text === '' ? base : `${base}?${text}`;
}

// ---- DRF-style body validation (gate and edge both answer 400 {"field": ["message"]}) ----

export type FieldErrors = Record<string, string[]>;

export type FieldKind = 'string' | 'email' | 'boolean' | 'integer' | 'object' | 'string-list';

export interface FieldSpec {
  kind: FieldKind;
  required?: boolean;
  nullable?: boolean;
  allowBlank?: boolean;
  min?: number;
}

const EMAIL_PATTERN = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

function fieldProblem(value: JsonValue, spec: FieldSpec): string | undefined {
  if (value === null) return spec.nullable ? undefined : 'This field may not be null.';
  switch (spec.kind) {
    case 'string':
    case 'email':
      if (typeof value !== 'string') return 'Not a valid string.';
      if (value.trim() === '') return spec.allowBlank ? undefined : 'This field may not be blank.';
      if (spec.kind === 'email' && !EMAIL_PATTERN.test(value)) return 'Enter a valid email address.';
      return undefined;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'Must be a valid boolean.';
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return 'A valid integer is required.';
      if (spec.min !== undefined && value < spec.min) return `Ensure this value is greater than or equal to ${spec.min}.`;
      return undefined;
    case 'object':
      return isJsonObject(value) ? undefined : `Expected a dictionary of items but got type "${pythonTypeName(value)}".`;
    case 'string-list':
      if (!Array.isArray(value)) return `Expected a list of items but got type "${pythonTypeName(value)}".`;
      return value.every((item) => typeof item === 'string') ? undefined : 'Not a valid string.';
  }
}

/** Checks the fields named in specs; with partial (PATCH) nothing is required. */
export function validateFields(body: JsonObject, specs: Readonly<Record<string, FieldSpec>>, mode: { partial: boolean }): FieldErrors | undefined {
  const errors: FieldErrors = {};
  for (const [name, spec] of Object.entries(specs)) {
    const value = body[name];
    if (value === undefined) {
      if (spec.required && !mode.partial) errors[name] = ['This field is required.'];
      continue;
    }
    const problem = fieldProblem(value, spec);
    if (problem) errors[name] = [problem];
  }
  return Object.keys(errors).length > 0 ? errors : undefined;
}
