import { meros } from 'meros/browser';
import type { TypedDocumentString } from './gql/graphql.ts';

/** An error as the gateway answers it: `extensions.code` is stable, the message is for people. */
export interface GraphQLError {
  message: string;
  path?: readonly (string | number)[];
  extensions?: { code?: string; requestId?: string; retryAfter?: number };
}

/** The answer so far: a deferred operation yields one of these per part, each with more data. */
export interface Result<TData> {
  /** null when a non-null field failed all the way up; the errors say which. */
  data: TData | null;
  /** Fields that failed while the rest was answered: `path` says which, `extensions.code` why. */
  errors: GraphQLError[];
  /** Whether parts are still to come (a `@defer`red fragment not yet answered). */
  hasNext: boolean;
}

/** The gateway ran nothing: no credential, rate limited, busy, not a trusted document, ... */
export class RequestRefused extends Error {
  constructor(
    readonly status: number,
    readonly errors: GraphQLError[],
  ) {
    super(errors.map((error) => `${error.extensions?.code ?? 'ERROR'}: ${error.message}`).join('; ') || `HTTP ${status}`);
  }

  get code(): string | undefined {
    return this.errors[0]?.extensions?.code;
  }
}

interface Payload {
  data?: Record<string, unknown> | null;
  errors?: GraphQLError[];
  hasNext?: boolean;
  /** The parts that complete a `@defer`: their data goes at `path` of the answer. */
  incremental?: { data?: Record<string, unknown> | null; path: (string | number)[]; errors?: GraphQLError[] }[];
}

export interface ClientOptions {
  /** The gateway's GraphQL endpoint, `https://gateway.example.com/graphql`. */
  url: string;
  /** Asked before every request: the credential to send (`X-API-Key`, or `Authorization: Bearer`). */
  headers: () => Record<string, string>;
}

/**
 * A client that sends only the hash of each operation (`documentId`): the gateway runs the
 * document its manifest holds for that hash. Deferred parts arrive as `multipart/mixed`, read by
 * meros and merged into the answer.
 */
export function createClient({ url, headers }: ClientOptions) {
  async function* execute<TData, TVariables>(
    document: TypedDocumentString<TData, TVariables>,
    variables: TVariables,
    signal?: AbortSignal,
  ): AsyncGenerator<Result<TData>> {
    const documentId = document.__meta__?.['hash'];
    if (typeof documentId !== 'string') throw new Error('The document has no hash: run `npm run codegen`.');
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        ...headers(),
        'content-type': 'application/json',
        // A plain answer as JSON; only an answer in parts (a deferred fragment) as multipart/mixed,
        // in the format of deferSpec=20220824 (`incremental` parts with a `path`), which `merge` reads.
        accept: 'application/graphql-response+json, application/json;q=0.9, multipart/mixed;deferSpec=20220824;q=0.8',
      },
      body: JSON.stringify({ documentId, variables }),
      signal,
    });
    const parts = await meros<Payload>(response);
    if (parts instanceof Response) {
      yield toResult<TData>(response.status, await readJson(parts));
      return;
    }
    let result: Result<TData> | undefined;
    for await (const part of parts) {
      if (!part.json) throw new Error('The gateway sent a part that is not JSON.');
      result = result ? merge(result, part.body) : toResult<TData>(response.status, part.body);
      yield result;
    }
    if (!result || result.hasNext) throw new Error('The answer ended before its last part.');
  }

  /** The whole answer, deferred parts and all. */
  async function request<TData, TVariables>(document: TypedDocumentString<TData, TVariables>, variables: TVariables): Promise<Result<TData>> {
    let last: Result<TData> | undefined;
    for await (const result of execute(document, variables)) last = result;
    if (!last) throw new Error('The gateway answered nothing.');
    return last;
  }

  return { execute, request };
}

export type Client = ReturnType<typeof createClient>;

async function readJson(response: Response): Promise<Payload> {
  try {
    return (await response.json()) as Payload;
  } catch {
    throw new RequestRefused(response.status, []);
  }
}

/** An answer with no data at all is a refusal: nothing ran. */
function toResult<TData>(status: number, payload: Payload): Result<TData> {
  if (payload.data === undefined) throw new RequestRefused(status, payload.errors ?? []);
  return { data: payload.data as TData | null, errors: payload.errors ?? [], hasNext: payload.hasNext ?? false };
}

/** The answer with a later part's data put in place (at `path`) and its errors added. */
function merge<TData>(result: Result<TData>, payload: Payload): Result<TData> {
  let data: unknown = result.data;
  const errors = [...result.errors, ...(payload.errors ?? [])];
  for (const part of payload.incremental ?? []) {
    if (part.data) data = mergeAt(data, part.path, part.data);
    errors.push(...(part.errors ?? []));
  }
  return { data: data as TData | null, errors, hasNext: payload.hasNext ?? false };
}

function mergeAt(target: unknown, path: readonly (string | number)[], value: Record<string, unknown>): unknown {
  if (!isObject(target)) return target;
  const [key, ...rest] = path;
  if (key === undefined) return deepMerge(target, value);
  const copy: Record<string, unknown> | unknown[] = Array.isArray(target) ? [...target] : { ...target };
  (copy as Record<string | number, unknown>)[key] = mergeAt((target as Record<string | number, unknown>)[key], rest, value);
  return copy;
}

function deepMerge(target: Record<string, unknown>, value: Record<string, unknown>): Record<string, unknown> {
  const merged = { ...target };
  for (const [key, item] of Object.entries(value)) {
    const existing = merged[key];
    merged[key] = isObject(existing) && !Array.isArray(existing) && isObject(item) && !Array.isArray(item) ? deepMerge(existing, item) : item;
  }
  return merged;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
