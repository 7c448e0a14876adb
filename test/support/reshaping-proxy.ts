import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { afterEach } from 'vitest';

/** An answer the proxy gives itself, instead of asking the upstream. */
export interface ProxyReply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface Reshaping {
  /** Rewrites the query the upstream receives. */
  query?: (query: URLSearchParams) => void;
  /** Answers instead of the upstream (a failure, say); undefined lets the request through. */
  intercept?: (url: URL) => ProxyReply | undefined;
  /** Rewrites a reply's status. */
  status?: (status: number, url: URL) => number;
  /** Rewrites a JSON reply body. */
  body?: (body: unknown, url: URL) => unknown;
  /** Rewrites reply headers. */
  headers?: (headers: Record<string, string>, url: URL) => void;
  /** Sends the reply body in pieces of `bytes`, `everyMs` apart, without a content-length. */
  trickle?: { bytes: number; everyMs: number };
  /** Holds each reply until the promise it returns settles (the upstream has answered by then). */
  hold?: (url: URL, method: string) => Promise<void>;
}

export interface ReshapingProxy {
  /** The upstream's base URL, with its API prefix, through the proxy. */
  url: string;
  /** Every URL asked of the proxy (path and query), in order. */
  seen: URL[];
  close(): Promise<void>;
}

/**
 * Stands in front of a simulator and reshapes its traffic the way another implementation of the
 * same docs might answer (smaller pages, no `success` key, links of another form, other statuses,
 * odd values, slow bodies).
 */
export async function startReshapingProxy(target: string, reshaping: Reshaping): Promise<ReshapingProxy> {
  const { origin, pathname } = new URL(target);
  const seen: URL[] = [];
  const server: Server = createServer(async (incoming, outgoing) => {
    const url = new URL(incoming.url ?? '/', origin);
    seen.push(new URL(url));
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    let reply = reshaping.intercept?.(url);
    if (!reply) {
      reshaping.query?.(url.searchParams);
      const forwarded = { ...incoming.headers } as IncomingHttpHeaders;
      delete forwarded.host;
      const upstream = await request(url, {
        method: incoming.method as 'GET',
        headers: forwarded as Record<string, string>,
        body: chunks.length ? Buffer.concat(chunks) : undefined,
      });
      const text = await upstream.body.text();
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(upstream.headers)) {
        if (typeof value === 'string' && name !== 'content-length' && name !== 'connection' && name !== 'keep-alive') headers[name] = value;
      }
      reshaping.headers?.(headers, url);
      const body = text && reshaping.body ? JSON.stringify(reshaping.body(JSON.parse(text), url)) : text;
      reply = { status: reshaping.status?.(upstream.statusCode, url) ?? upstream.statusCode, headers, body };
    }
    await reshaping.hold?.(url, incoming.method ?? 'GET');
    const body = Buffer.from(reply.body ?? '');
    if (!reshaping.trickle) {
      outgoing.writeHead(reply.status, { ...reply.headers, 'content-length': body.length });
      outgoing.end(body);
      return;
    }
    outgoing.writeHead(reply.status, reply.headers);
    for (let at = 0; at < body.length && !outgoing.destroyed; at += reshaping.trickle.bytes) {
      outgoing.write(body.subarray(at, at + reshaping.trickle.bytes));
      await sleep(reshaping.trickle.everyMs);
    }
    outgoing.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${pathname}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** For tests that put proxies in front of the simulators (to hold some answers, say): every proxy the function returned starts is closed after each test. */
export function proxiesPerTest(): (target: string, reshaping: Reshaping) => Promise<ReshapingProxy> {
  const started: ReshapingProxy[] = [];
  afterEach(() => Promise.all(started.splice(0).map((proxy) => proxy.close())));
  return async (target, reshaping) => {
    const proxy = await startReshapingProxy(target, reshaping);
    started.push(proxy);
    return proxy;
  };
}
