import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';

/** A failure a command-line tool ends with: one line for standard error, and its exit code. */
export class CliFailure extends Error {
  override readonly name = 'CliFailure';
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** The exit codes of the gateway's command-line tools. */
export const EXIT = {
  ok: 0,
  /** The gateway answered with an error: the message says which. */
  failed: 1,
  /** The command line or the environment is wrong. */
  usage: 2,
  /** What was asked for does not exist (an organization gate has no member of). */
  notFound: 3,
  unreachable: 4,
  /** The gateway refused the credential (`GATEWAY_API_KEY`), or it lacks a scope. */
  auth: 5,
} as const;

/** A document as graphql-codegen's client preset types it, its sha256 id kept beside its text. */
export type TypedDocument<R, V> = DocumentTypeDecoration<R, V> & { toString(): string; __meta__?: Record<string, unknown> | undefined };

export interface GatewayClientOptions {
  /** The gateway's GraphQL endpoint (`GATEWAY_URL`), e.g. `http://localhost:4000/graphql`. */
  url: string;
  /** Sent as `X-API-Key` (`GATEWAY_API_KEY`); none where the gateway authenticates no client. */
  apiKey: string | undefined;
  /** How requests go out: the global fetch, or a gateway's own in a test. */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
}

interface GraphQLAnswer<R> {
  data?: R | null;
  errors?: { message: string; extensions?: { code?: unknown } }[];
}

const AUTH_CODES = new Set(['UNAUTHENTICATED', 'FORBIDDEN']);

/** The settings a tool reads from its environment, or a usage failure naming the one missing. */
export function gatewayClientOptions(env: NodeJS.ProcessEnv): GatewayClientOptions {
  const url = env['GATEWAY_URL'];
  if (!url) throw new CliFailure('GATEWAY_URL is not set: the address of the gateway’s GraphQL endpoint, e.g. http://localhost:4000/graphql', EXIT.usage);
  try {
    new URL(url);
  } catch {
    throw new CliFailure(`GATEWAY_URL is not a URL: ${JSON.stringify(url)}`, EXIT.usage);
  }
  return { url, apiKey: env['GATEWAY_API_KEY'] || undefined };
}

/**
 * Runs operations on a running gateway over GraphQL over HTTP. A document goes as text; where the
 * gateway runs trusted documents only, by its id (`documentId`) from then on, so that its manifest
 * is all an operator adds. Every failure is a CliFailure: unreachable, refused credential, or the
 * first GraphQL error (never the answer's body as a whole).
 */
export class GatewayClient {
  readonly #options: GatewayClientOptions;
  readonly #fetch: (url: string, init: RequestInit) => Promise<Response>;
  #byId = false;

  constructor(options: GatewayClientOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
  }

  async request<R, V>(document: TypedDocument<R, V>, variables: V): Promise<R> {
    let answer = await this.#send(document, variables);
    if (!this.#byId && codeOf(answer) === 'PERSISTED_QUERY_ONLY') {
      this.#byId = true;
      answer = await this.#send(document, variables);
    }
    const error = answer.errors?.[0];
    if (error) {
      const code = codeOf(answer);
      if (code === 'PERSISTED_QUERY_NOT_FOUND') {
        throw new CliFailure('the gateway runs trusted documents only and does not hold this tool’s: add its manifest to TRUSTED_DOCUMENTS', EXIT.failed);
      }
      throw new CliFailure(`the gateway answered ${code ?? 'an error'}: ${error.message}`, code !== undefined && AUTH_CODES.has(code) ? EXIT.auth : EXIT.failed);
    }
    if (answer.data == null) throw new CliFailure('the gateway answered no data', EXIT.failed);
    return answer.data;
  }

  async #send<R, V>(document: TypedDocument<R, V>, variables: V): Promise<GraphQLAnswer<R>> {
    const id = document.__meta__?.['hash'];
    const body = this.#byId && typeof id === 'string' ? { documentId: id, variables } : { query: document.toString(), variables };
    const { url, apiKey } = this.#options;
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...(apiKey && { 'x-api-key': apiKey }) },
        body: JSON.stringify(body),
      });
    } catch (error) {
      throw new CliFailure(`cannot reach the gateway at ${url}: ${reasonOf(error)}`, EXIT.unreachable);
    }
    if (response.status === 401 || response.status === 403) {
      throw new CliFailure(`the gateway refused the credential (HTTP ${response.status}): check GATEWAY_API_KEY`, EXIT.auth);
    }
    try {
      return (await response.json()) as GraphQLAnswer<R>;
    } catch {
      throw new CliFailure(`the gateway at ${url} answered HTTP ${response.status} without a GraphQL answer`, EXIT.failed);
    }
  }
}

function codeOf(answer: GraphQLAnswer<unknown>): string | undefined {
  const code = answer.errors?.[0]?.extensions?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Why a request got no answer, in a few words: the system's error code where there is one. */
function reasonOf(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
