import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';

export interface Reshaping {
  /** Rewrites the query the upstream receives. */
  query?: (query: URLSearchParams) => void;
  /** Rewrites a JSON reply body. */
  body?: (body: unknown) => unknown;
  /** Rewrites reply headers. */
  headers?: (headers: Record<string, string>) => void;
}

export interface ReshapingProxy {
  /** The upstream's base URL, with its API prefix, through the proxy. */
  url: string;
  close(): Promise<void>;
}

/**
 * Stands in front of a simulator and reshapes its traffic the way another implementation of the
 * same docs might answer (smaller pages, no `success` key, links of another form).
 */
export async function startReshapingProxy(target: string, reshaping: Reshaping): Promise<ReshapingProxy> {
  const { origin, pathname } = new URL(target);
  const server: Server = createServer(async (incoming, outgoing) => {
    const url = new URL(incoming.url ?? '/', origin);
    reshaping.query?.(url.searchParams);
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const forwarded = { ...incoming.headers } as IncomingHttpHeaders;
    delete forwarded.host;
    const reply = await request(url, {
      method: incoming.method as 'GET',
      headers: forwarded as Record<string, string>,
      body: chunks.length ? Buffer.concat(chunks) : undefined,
    });
    const text = await reply.body.text();
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(reply.headers)) {
      if (typeof value === 'string' && name !== 'content-length' && name !== 'connection' && name !== 'keep-alive') headers[name] = value;
    }
    reshaping.headers?.(headers);
    const body = text && reshaping.body ? JSON.stringify(reshaping.body(JSON.parse(text))) : text;
    outgoing.writeHead(reply.statusCode, headers);
    outgoing.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${pathname}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
