// The bench's client to a GraphQL server under test (the gateway or a peer): one undici keep-alive
// pool, a connection per client of the busiest row.
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';

const QUERY_TIMEOUT_MS = 30_000;
/** The most clients of any row: the pool holds one connection each. */
const MAX_CLIENTS = 50;

export interface GraphQLAnswer {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: readonly (string | number)[] }[];
}

export class GraphQLClient {
  readonly #pool: Pool;
  readonly #headers: Record<string, string>;
  readonly #path: string;

  /** `headers` go with every request (the gateway's API key, say). */
  constructor(port: number, options: { headers?: Record<string, string>; path?: string } = {}) {
    this.#pool = new Pool(`http://127.0.0.1:${port}`, {
      connections: MAX_CLIENTS,
      keepAliveTimeout: 30_000,
      headersTimeout: QUERY_TIMEOUT_MS,
      bodyTimeout: QUERY_TIMEOUT_MS,
    });
    this.#headers = { 'content-type': 'application/json', accept: 'application/json', ...options.headers };
    this.#path = options.path ?? '/graphql';
  }

  /** POSTs one query; throws on an HTTP error, returns the answer with any GraphQL errors in it. */
  async post(query: string, variables?: Record<string, unknown>): Promise<GraphQLAnswer> {
    const response = await this.#pool.request({ method: 'POST', path: this.#path, headers: this.#headers, body: JSON.stringify({ query, variables }) });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`answered ${response.statusCode}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as GraphQLAnswer;
  }

  /** POSTs one query and throws unless it answered without GraphQL errors. */
  async postWithoutErrors(query: string, variables?: Record<string, unknown>): Promise<GraphQLAnswer> {
    const answer = await this.post(query, variables);
    if (answer.errors?.length) throw new Error(describeErrors(answer.errors));
    return answer;
  }

  /** Waits until the server answers `{ __typename }` (for servers that print no ready line of their own). */
  async waitUntilAnswering(timeoutMs: number, exited?: Promise<unknown>): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    let gone = false;
    void exited?.then(() => (gone = true));
    for (;;) {
      try {
        const answer = await this.post('{ __typename }');
        if (answer.data?.['__typename'] === 'Query') return;
      } catch (error) {
        if (gone || performance.now() > deadline) throw new Error(`not answering { __typename }: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (gone) throw new Error('exited before answering');
      await sleep(100);
    }
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}

/** The distinct messages of GraphQL errors, shortened. */
export function describeErrors(errors: readonly { message: string }[]): string {
  const distinct = [...new Set(errors.map((error) => error.message))];
  return `${errors.length} GraphQL errors: ${distinct.slice(0, 3).join('; ')}${distinct.length > 3 ? '; …' : ''}`;
}
