import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { retryAfterMs } from '../upstreams/retry-after.ts';
import type { TypedDocumentString } from './generated/graphql.ts';

/** The command-line tools' trusted documents, one manifest for all: what a gateway's `TRUSTED_DOCUMENTS` lists. */
export const CLI_MANIFEST = fileURLToPath(new URL('generated/persisted-documents.json', import.meta.url));

/** Where `npm start` listens by default: the gateway a tool talks to when `GATEWAY_URL` is not set. */
export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:4000/graphql';

/** The exit codes of the gateway's command-line tools, one table for all of them. */
export const EXIT = {
  ok: 0,
  /** The gateway answered with an error (the message says which), or some row failed. */
  failed: 1,
  /** The command line, a file it names, or the environment is wrong; nothing was sent. */
  usage: 2,
  /** What was asked for does not exist (an organization gate has no member of). */
  notFound: 3,
  /** No answer came from the gateway. */
  unreachable: 4,
  /** The gateway refused the credential (`GATEWAY_API_KEY`), or it lacks a scope. */
  auth: 5,
  /** Stopped by Ctrl-C. */
  interrupted: 130,
} as const;

/** A failure a command-line tool ends with: one line for standard error, and its exit code. */
export class CliFailure extends Error {
  override name = 'CliFailure';
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

export interface GatewayError {
  message: string;
  path?: readonly (string | number)[];
  extensions?: { code?: string };
}

const CREDENTIAL_CODES = new Set(['UNAUTHENTICATED', 'FORBIDDEN']);

const refusesCredential = (status: number, code: string | undefined) => status === 401 || status === 403 || (code !== undefined && CREDENTIAL_CODES.has(code));

/** What the gateway answers to a `documentId` it does not hold: with a manifest, and without any (a parameter it does not take). */
const DOCUMENT_NOT_HELD = new Set(['PERSISTED_QUERY_NOT_FOUND', 'BAD_REQUEST']);

function refusalMessage(label: string, status: number, errors: readonly GatewayError[]): string {
  const code = errors[0]?.extensions?.code;
  if (code === 'PERSISTED_QUERY_ONLY') {
    return `${label}: the gateway runs trusted documents only and does not hold the command-line tools': start it with TRUSTED_DOCUMENTS=${CLI_MANIFEST} (beside any other manifest, comma-separated)`;
  }
  const answered = `${status}${code ? ` ${code}` : ''}: ${errors.map((error) => error.message).join('; ') || 'no GraphQL answer'}`;
  if (refusesCredential(status, code)) {
    return `${label}: the gateway refused the credential (${answered}): check GATEWAY_API_KEY`;
  }
  return `${label}: the gateway answered ${answered}`;
}

/** The gateway answered with an error: a refused credential, a document it will not run, a bad request, or an error of the operation. */
export class GatewayRefusal extends CliFailure {
  override name = 'GatewayRefusal';
  readonly status: number;
  readonly code: string | undefined;
  constructor(label: string, status: number, errors: readonly GatewayError[]) {
    const code = errors[0]?.extensions?.code;
    super(refusalMessage(label, status, errors), refusesCredential(status, code) ? EXIT.auth : EXIT.failed);
    this.status = status;
    this.code = code;
  }
}

/** No answer came: whether the request ran is not known. */
export class NoAnswer extends CliFailure {
  override name = 'NoAnswer';
  constructor(message: string) {
    super(message, EXIT.unreachable);
  }
}

/** Asked to stop while waiting to send: the request was never sent (again). */
export class Stopped extends CliFailure {
  override name = 'Stopped';
  constructor(message: string) {
    super(message, EXIT.interrupted);
  }
}

/** The gateway asked to be asked again later (429 or 503): how long, as it said. */
export interface Wait {
  label: string;
  status: number;
  code: string | undefined;
  waitMs: number;
}

/** A wait as a tool tells it: `provisionUser ada.l (line 4): the gateway answered 429 RATE_LIMITED; waiting 2 s as its Retry-After says`. */
export const describeWait = ({ label, status, code, waitMs }: Wait): string =>
  `${label}: the gateway answered ${status}${code ? ` ${code}` : ''}; waiting ${(waitMs / 1000).toFixed(waitMs % 1000 ? 1 : 0)} s as its Retry-After says`;

export interface GatewayClientOptions {
  /** The gateway's GraphQL endpoint (`GATEWAY_URL`), e.g. `http://127.0.0.1:4000/graphql`. */
  url: string;
  /** Sent as `X-API-Key` (`GATEWAY_API_KEY`); none where the gateway authenticates no client. */
  apiKey?: string | undefined;
  /** How requests go out: the global fetch, or a gateway's own in a test. */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /** Resolves after `ms`, or rejects once `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  /** Hears each wait the gateway asked for. */
  onWait?: ((wait: Wait) => void) | undefined;
  /** How many times one request is sent while the gateway answers 429 or 503. */
  maxAttempts?: number;
}

export interface RequestOptions {
  /** Names the request in messages: `provisionUser ada.l (line 4)`. */
  label: string;
  /** Whether sending it again after no answer came does no harm (a read, a keyed or absolute write). */
  repeatable: boolean;
  /** Aborts the waits the gateway asked for (the request is then never sent again), never a request under way. */
  signal?: AbortSignal | undefined;
}

/** The settings a tool reads from its environment (`GATEWAY_URL`, `GATEWAY_API_KEY`), or a usage failure naming the one that is wrong. */
export function gatewayClientOptions(env: NodeJS.ProcessEnv): Pick<GatewayClientOptions, 'url' | 'apiKey'> {
  const url = env['GATEWAY_URL'] || DEFAULT_GATEWAY_URL;
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new CliFailure(`GATEWAY_URL is not a URL: ${JSON.stringify(url)}; the gateway's GraphQL endpoint, e.g. ${DEFAULT_GATEWAY_URL}`, EXIT.usage);
  }
  if (protocol !== 'http:' && protocol !== 'https:') throw new CliFailure(`GATEWAY_URL must be an http(s) URL, not ${JSON.stringify(url)}`, EXIT.usage);
  return { url, apiKey: env['GATEWAY_API_KEY'] || undefined };
}

/**
 * Runs a tool: its main's exit code, or, when it fails, one line on standard error (`name: why`)
 * and the failure's exit code; a failure that is not a CliFailure is `failed`.
 */
export async function runTool(name: string, main: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await main();
  } catch (error) {
    const failure = error instanceof CliFailure ? error : new CliFailure(`failed: ${error instanceof Error ? error.message : String(error)}`, EXIT.failed);
    process.stderr.write(`${name}: ${failure.message}\n`);
    process.exitCode = failure.exitCode;
  }
}

const DEFAULT_WAIT_MS = 1_000;
const REPEATS_AFTER_NO_ANSWER = 2;

type Sent<TData> = { ok: boolean; status: number; retryAfter: string | null; data: TData | null | undefined; errors: GatewayError[] } | { lost: string };

/**
 * The gateway's GraphQL API over HTTP, for the command-line tools. A document goes by its id
 * (`documentId`), which a gateway that runs trusted documents only takes once it holds
 * CLI_MANIFEST; a gateway that does not hold it (or takes no ids at all) is sent the text from
 * then on. A 429 or 503 is the gateway asking to be asked later: every request of this client
 * waits as long as `Retry-After` says (a second when it says nothing), and is sent again, up to
 * `maxAttempts` times. A request that got no answer is sent again only when that is harmless.
 * Every failure is a CliFailure: GatewayRefusal, NoAnswer or Stopped.
 */
export class GatewayClient {
  readonly #options: Required<Omit<GatewayClientOptions, 'apiKey' | 'onWait'>> & Pick<GatewayClientOptions, 'apiKey' | 'onWait'>;
  /** No request goes out before this instant: the gateway asked for the pause. */
  #resumeAt = 0;
  /** The ids of the documents the gateway does not hold: sent as text. */
  readonly #notHeld = new Set<string>();

  constructor(options: GatewayClientOptions) {
    this.#options = {
      fetch: (url, init) => fetch(url, init),
      sleep: (ms, signal) => delay(ms, undefined, { signal }),
      now: Date.now,
      maxAttempts: 30,
      ...options,
    };
  }

  /** The operation's data, for a read that is whole or nothing: any error the gateway answers fails it (GatewayRefusal). */
  async request<TData, TVariables>(document: TypedDocumentString<TData, TVariables>, variables: TVariables, options: RequestOptions): Promise<TData> {
    const { data, errors } = await this.run(document, variables, options);
    // An answer with data is a 200.
    if (errors.length) throw new GatewayRefusal(options.label, 200, errors);
    return data;
  }

  /**
   * The operation's data and the errors beside it: a write that landed answers its data even
   * when a field of its answer failed. No data at all is a GatewayRefusal.
   */
  async run<TData, TVariables>(
    document: TypedDocumentString<TData, TVariables>,
    variables: TVariables,
    options: RequestOptions,
  ): Promise<{ data: TData; errors: GatewayError[] }> {
    const { label, signal } = options;
    const id = document.__meta__?.['hash'];
    if (typeof id !== 'string') throw new Error(`${label}: the document has no id; run npm run codegen`);
    let unanswered = 0;
    let waits = 0;
    for (;;) {
      await this.#waitForResume(signal);
      const byId = !this.#notHeld.has(id);
      const sent = await this.#post<TData>(byId ? { documentId: id, variables } : { query: document.toString(), variables });
      if ('lost' in sent) {
        if (!options.repeatable || unanswered++ >= REPEATS_AFTER_NO_ANSWER) throw new NoAnswer(`${label}: no answer from the gateway at ${this.#options.url} (GATEWAY_URL): ${sent.lost}`);
        await this.#sleep(DEFAULT_WAIT_MS, signal);
        continue;
      }
      const { status, data, errors } = sent;
      const code = errors[0]?.extensions?.code;
      if ((status === 429 || status === 503) && ++waits < this.#options.maxAttempts) {
        const waitMs = retryAfterMs(sent.retryAfter, this.#options.now()) ?? DEFAULT_WAIT_MS;
        this.#resumeAt = Math.max(this.#resumeAt, this.#options.now() + waitMs);
        this.#options.onWait?.({ label, status, code, waitMs });
        continue;
      }
      // The id ran nothing: the text is as safe to send as a first request.
      if (byId && code !== undefined && DOCUMENT_NOT_HELD.has(code)) {
        this.#notHeld.add(id);
        continue;
      }
      if (!sent.ok || data === undefined || data === null) throw new GatewayRefusal(label, status, errors);
      return { data, errors };
    }
  }

  async #post<TData>(body: Record<string, unknown>): Promise<Sent<TData>> {
    const { url, apiKey } = this.#options;
    let response: Response;
    try {
      response = await this.#options.fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json;q=0.9',
          ...(apiKey && { 'x-api-key': apiKey }),
        },
        body: JSON.stringify(body),
      });
    } catch (error) {
      return { lost: reasonOf(error) };
    }
    const answer = (await response.json().catch(() => ({}))) as { data?: TData | null; errors?: GatewayError[] };
    return { ok: response.ok, status: response.status, retryAfter: response.headers.get('retry-after'), data: answer.data, errors: answer.errors ?? [] };
  }

  async #waitForResume(signal: AbortSignal | undefined): Promise<void> {
    const waitMs = this.#resumeAt - this.#options.now();
    if (waitMs > 0) await this.#sleep(waitMs, signal);
  }

  async #sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
    try {
      await this.#options.sleep(ms, signal);
    } catch (error) {
      if (signal?.aborted) throw new Stopped('stopped while waiting to send again');
      throw error;
    }
  }
}

/** Why a request got no answer, in a few words: the system's error code where there is one. */
function reasonOf(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
