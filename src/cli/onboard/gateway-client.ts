import { setTimeout as delay } from 'node:timers/promises';
import type { TypedDocumentString } from './generated/graphql.ts';

export interface GatewayError {
  message: string;
  path?: readonly (string | number)[];
  extensions?: { code?: string; retryAfter?: number };
}

/** The gateway ran nothing and will not: a refused credential, a document it does not hold, a bad request. */
export class GatewayRefusal extends Error {
  override name = 'GatewayRefusal';
  readonly status: number;
  readonly code: string | undefined;
  constructor(status: number, errors: readonly GatewayError[]) {
    const code = errors[0]?.extensions?.code;
    super(`the gateway answered ${status}${code ? ` ${code}` : ''}: ${errors.map((error) => error.message).join('; ') || 'no message'}`);
    this.status = status;
    this.code = code;
  }
}

/** No answer came: whether the request ran is not known. */
export class NoAnswer extends Error {
  override name = 'NoAnswer';
}

/** Asked to stop while waiting to send: the request was never sent (again). */
export class Stopped extends Error {
  override name = 'Stopped';
}

/** The gateway asked to be asked again later (429 or 503): how long, as it said. */
export interface Wait {
  label: string;
  status: number;
  code: string | undefined;
  waitMs: number;
}

export interface GatewayClientOptions {
  /** The GraphQL endpoint, `http://127.0.0.1:4000/graphql`. */
  url: string;
  /** Sent as `X-API-Key`; none for a gateway without client authentication. */
  apiKey?: string | undefined;
  fetch?: typeof fetch;
  /** Resolves after `ms`, or rejects once `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  /** Hears each wait the gateway asked for. */
  onWait?: (wait: Wait) => void;
  /** How many times one request is sent while the gateway answers 429 or 503. */
  maxAttempts?: number;
}

export interface RunOptions {
  /** Names the request in messages: `provisionUser ada.l (line 4)`. */
  label: string;
  /** Whether sending it again after no answer came does no harm (a read, a keyed or absolute write). */
  repeatable: boolean;
  /** Aborts the waits the gateway asked for (the request is then never sent again), never a request under way. */
  signal?: AbortSignal | undefined;
}

const DEFAULT_WAIT_MS = 1_000;
const REPEATS_AFTER_NO_ANSWER = 2;

/** `Retry-After` in ms: delay-seconds, or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The gateway's GraphQL API through its trusted documents: every operation goes by its hash
 * (`documentId`) alone. A 429 or 503 is the gateway asking to be asked later: every request of
 * this client waits as long as `Retry-After` says (a second when it says nothing), and is sent
 * again, up to `maxAttempts` times. A request that got no answer is sent again only when
 * repeating it is harmless.
 */
export class GatewayClient {
  readonly #options: Required<Omit<GatewayClientOptions, 'apiKey' | 'onWait'>> & Pick<GatewayClientOptions, 'apiKey' | 'onWait'>;
  /** No request goes out before this instant: the gateway asked for the pause. */
  #resumeAt = 0;

  constructor(options: GatewayClientOptions) {
    this.#options = {
      fetch: globalThis.fetch,
      sleep: (ms, signal) => delay(ms, undefined, { signal }),
      now: Date.now,
      maxAttempts: 30,
      ...options,
    };
  }

  async run<TData, TVariables>(
    document: TypedDocumentString<TData, TVariables>,
    variables: TVariables,
    options: RunOptions,
  ): Promise<{ data: TData; errors: GatewayError[] }> {
    const documentId = document.__meta__?.['hash'];
    if (typeof documentId !== 'string') throw new Error(`${options.label}: the document has no hash; run npm run codegen`);
    const body = JSON.stringify({ documentId, variables });
    let unanswered = 0;
    for (let attempt = 1; ; attempt++) {
      await this.#waitForResume(options.signal);
      let response: Response;
      try {
        response = await this.#options.fetch(this.#options.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/graphql-response+json, application/json;q=0.9',
            ...(this.#options.apiKey && { 'x-api-key': this.#options.apiKey }),
          },
          body,
        });
      } catch (error) {
        const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
        if (!options.repeatable || unanswered++ >= REPEATS_AFTER_NO_ANSWER) throw new NoAnswer(`${options.label}: no answer from the gateway (${cause})`);
        await this.#sleep(DEFAULT_WAIT_MS, options.signal);
        continue;
      }
      const answer = (await response.json().catch(() => ({}))) as { data?: TData | null; errors?: GatewayError[] };
      const errors = answer.errors ?? [];
      if ((response.status === 429 || response.status === 503) && attempt < this.#options.maxAttempts) {
        const waitMs = retryAfterMs(response.headers.get('retry-after'), this.#options.now()) ?? DEFAULT_WAIT_MS;
        this.#resumeAt = Math.max(this.#resumeAt, this.#options.now() + waitMs);
        this.#options.onWait?.({ label: options.label, status: response.status, code: errors[0]?.extensions?.code, waitMs });
        continue;
      }
      if (!response.ok || answer.data === undefined || answer.data === null) throw new GatewayRefusal(response.status, errors);
      return { data: answer.data, errors };
    }
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
