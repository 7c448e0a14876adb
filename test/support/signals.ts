import { Writable } from 'node:stream';
import { afterEach } from 'vitest';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { loadConfig } from '../../src/server/config.ts';
import { startGateway, type RunningGateway } from '../../src/server/gateway.ts';
import { startSimulators, type Simulators } from '../../src/simulators/index.ts';
import { upstreamEnv } from './harness.ts';

export type LogLine = Record<string, unknown> & { level: number; msg: string };

export interface ObservedGateway {
  gateway: RunningGateway;
  simulators: Simulators;
  /** Every JSON line logged so far, parsed. */
  lines(): LogLine[];
  /** Everything logged so far, as written. */
  text(): string;
  /** The spans ended so far, when started with `tracing`. */
  spans: InMemorySpanExporter | undefined;
  /** A request to the gateway in process (`yoga.fetch`), as a client would make it over HTTP. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** POSTs one GraphQL operation to `/graphql`. */
  graphql(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<Response>;
  /** Scrapes `/metrics` (no credential). */
  scrape(): Promise<string>;
  close(): Promise<void>;
}

export interface ObservedOptions {
  /** Settings as the environment would give them; the upstreams are simulators of the test's own. */
  env?: NodeJS.ProcessEnv;
  /** Spans go to an `InMemorySpanExporter`. */
  tracing?: boolean;
  /** Base URLs the gateway is given instead of the simulators' (a proxy in front of one, say). */
  urls?: (simulators: Simulators) => Promise<NodeJS.ProcessEnv>;
}

/**
 * The gateway as `startGateway` builds it (metrics, logs, traces, health, graceful close), on a
 * free port, over simulators of the test's own (faults can be injected), its log captured.
 */
export async function startObservedGateway(options: ObservedOptions = {}): Promise<ObservedGateway> {
  const simulators = await startSimulators();
  const written: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      written.push(String(chunk));
      done();
    },
  });
  const spans = options.tracing ? new InMemorySpanExporter() : undefined;
  const config = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    // No client authentication unless the test configures some.
    ...(options.env?.['API_KEYS'] === undefined && { AUTH_MODE: 'none' }),
    ...upstreamEnv(simulators),
    ...(await options.urls?.(simulators)),
    ...options.env,
  });
  const gateway = await startGateway(config, { logDestination: destination, spanExporter: spans });
  const fetchIn: ObservedGateway['fetch'] = async (path, init = {}) => gateway.yoga.fetch(`http://gateway.test${path}`, init);
  const text = () => written.join('');
  return {
    gateway,
    simulators,
    spans,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as LogLine),
    fetch: fetchIn,
    graphql: (query, variables, headers = {}) =>
      fetchIn('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
        body: JSON.stringify({ query, variables }),
      }),
    scrape: async () => (await fetchIn('/metrics')).text(),
    async close() {
      await gateway.close();
      await simulators.close();
    },
  };
}

/** For tests that each start gateways of their own: all are closed after each test. */
export function observedGatewayPerTest(): (options?: ObservedOptions) => Promise<ObservedGateway> {
  const started: ObservedGateway[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((gateway) => gateway.close()));
  });
  return async (options) => {
    const gateway = await startObservedGateway(options);
    started.push(gateway);
    return gateway;
  };
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition. */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[label[1] as string] = (label[2] as string).replace(/\\(.)/g, (_all, char: string) => (char === 'n' ? '\n' : char));
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The samples named so whose labels include these. */
export function samplesOf(text: string, name: string, labels: Record<string, string> = {}): Sample[] {
  return parseExposition(text).filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
}

/** The one sample named so with these labels (undefined when there is none). */
export function valueOf(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samplesOf(text, name, labels);
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}
