// `node bench/signals-cost.ts`: the CPU the gateway's signals (metrics, upstream log, request
// log, traces) cost per query of `npm run bench`, measured apart from everything else.
//
// 1. Records what the upstream layer tells its observer during one nested query (50 users,
//    ~253 upstream attempts, the loader batches, payload drift) against in-process simulators.
// 2. Replays that sequence on the real observers many times and reads this process's CPU time
//    (`process.cpuUsage`) around it, less the same replay on an observer that does nothing.
// 3. Runs a GraphQL request with no upstream call (`{ __typename }`) through Yoga with the
//    request plugins (summary, request log, metrics) and without, for their per-request cost.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { loadConfig } from '../src/server/config.ts';
import { createUpstreams } from '../src/server/gateway.ts';
import { simulatorSettings } from '../src/server/embedded-simulators.ts';
import { GatewayMetrics } from '../src/server/telemetry/metrics.ts';
import { combineObservers } from '../src/server/telemetry/observers.ts';
import { Tracing } from '../src/server/telemetry/tracing.ts';
import { upstreamLogObserver } from '../src/server/telemetry/upstream-log.ts';
import { createGateway, type SignalOptions } from '../src/server/yoga.ts';
import { startSimulators } from '../src/simulators/index.ts';
import { createSharedState } from '../src/state/index.ts';
import type { UpstreamAttempt, UpstreamAttemptEnd, UpstreamObserver } from '../src/upstreams/observer.ts';
import { NESTED_QUERY } from './support/workload.ts';

type Event =
  | { kind: 'start'; id: number; attempt: UpstreamAttempt }
  | { kind: 'end'; id: number; attempt: UpstreamAttempt; end: UpstreamAttemptEnd }
  | { kind: 'batch'; loader: string; size: number }
  | { kind: 'drift'; drift: Parameters<NonNullable<UpstreamObserver['payloadDrift']>>[0] };

const REPLAYS = Number(process.env['SIGNALS_REPLAYS'] ?? 4000);
const REQUESTS = Number(process.env['SIGNALS_REQUESTS'] ?? 4000);

const cpuMs = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};
const nowhere = () =>
  new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });

async function recordOneQuery(): Promise<Event[]> {
  const events: Event[] = [];
  let ids = 0;
  const recorder: UpstreamObserver = {
    attemptStarted(attempt) {
      const id = ids++;
      events.push({ kind: 'start', id, attempt });
      return (end) => events.push({ kind: 'end', id, attempt, end });
    },
    loaderBatch: (loader, size) => events.push({ kind: 'batch', loader, size }),
    payloadDrift: (drift) => events.push({ kind: 'drift', drift }),
  };
  const simulators = await startSimulators({ recordRequests: false });
  const config = loadConfig({ AUTH_MODE: 'none' });
  const upstreams = createUpstreams(simulatorSettings(simulators), config, recorder);
  const state = await createSharedState({ redisUrl: undefined });
  const yoga = createGateway(upstreams, {
    logger: false,
    writes: { state, audit: () => {}, idempotencySecret: 'bench', lockWaitMs: 1000, settleMs: 60_000, now: Date.now },
    security: config,
    requestDeadlineMs: config.requestDeadlineMs,
    admission: config.admission,
  });
  const run = () =>
    yoga.fetch('http://bench/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: NESTED_QUERY }) });
  // Payload drift is sampled (the first payload of each kind, then one in some): warm up, then record a steady query.
  for (let warm = 0; warm < 20; warm++) await (await run()).text();
  events.length = 0;
  await (await run()).text();
  await Promise.all([upstreams.close(), state.close()]);
  await simulators.close();
  return events;
}

function replay(events: readonly Event[], observer: UpstreamObserver, times: number): number {
  const ends: ((end: UpstreamAttemptEnd) => void)[] = [];
  const started = cpuMs();
  for (let time = 0; time < times; time++) {
    for (const event of events) {
      if (event.kind === 'start') ends[event.id] = observer.attemptStarted?.(event.attempt) ?? noop;
      else if (event.kind === 'end') {
        (ends[event.id] as (end: UpstreamAttemptEnd) => void)(event.end);
        observer.attemptEnded?.(event.attempt, event.end);
      }
      else if (event.kind === 'batch') observer.loaderBatch?.(event.loader, event.size);
      else observer.payloadDrift?.(event.drift);
    }
  }
  return (cpuMs() - started) / times;
}
const noop = () => {};

async function perRequest(signals: SignalOptions | undefined, times: number): Promise<number> {
  const config = loadConfig({ AUTH_MODE: 'none' });
  const simulators = await startSimulators({ recordRequests: false });
  const upstreams = createUpstreams(simulatorSettings(simulators), config);
  const state = await createSharedState({ redisUrl: undefined });
  const yoga = createGateway(upstreams, {
    logger: false,
    writes: { state, audit: () => {}, idempotencySecret: 'bench', lockWaitMs: 1000, settleMs: 60_000, now: Date.now },
    security: config,
    requestDeadlineMs: config.requestDeadlineMs,
    admission: config.admission,
    signals,
  });
  const run = async () =>
    (
      await yoga.fetch('http://bench/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"query Typename { __typename }"}' })
    ).text();
  for (let warm = 0; warm < 500; warm++) await run();
  const started = cpuMs();
  for (let time = 0; time < times; time++) await run();
  const perRun = (cpuMs() - started) / times;
  await Promise.all([upstreams.close(), state.close()]);
  await simulators.close();
  return perRun;
}

const events = await recordOneQuery();
const count = (kind: Event['kind']) => events.filter((event) => event.kind === kind).length;
console.log(`one nested query: ${count('start')} upstream attempts, ${count('batch')} loader batches, ${count('drift')} payload drift reports`);

const infoLogger = pino({ level: 'info' }, nowhere());
const variants: [string, () => UpstreamObserver][] = [
  ['nothing (replay overhead)', () => ({})],
  ['metrics', () => new GatewayMetrics().observer],
  ['metrics + upstream log at info (the default)', () => combineObservers([new GatewayMetrics().observer, upstreamLogObserver(infoLogger)])],
  ['metrics + upstream log at debug (every attempt logged)', () => combineObservers([new GatewayMetrics().observer, upstreamLogObserver(pino({ level: 'debug' }, nowhere()))])],
  [
    'metrics + upstream log at info + tracing (spans batched, then dropped)',
    () => {
      const exporter: SpanExporter = { export: (_spans: ReadableSpan[], done) => done({ code: 0 }), shutdown: async () => {} };
      const tracing = new Tracing({ serviceName: 'bench', exporter, processor: 'batch' });
      return combineObservers([new GatewayMetrics().observer, upstreamLogObserver(infoLogger), tracing.observer]);
    },
  ],
];
const results: Record<string, number> = {};
for (let round = 0; round < 3; round++) {
  for (const [name, make] of variants) {
    const observer = make();
    replay(events, observer, Math.ceil(REPLAYS / 10));
    const each = replay(events, observer, REPLAYS);
    results[name] = Math.min(results[name] ?? Infinity, each);
  }
}
const overhead = results['nothing (replay overhead)'] ?? 0;
console.log(`\nupstream observer, CPU per nested query (best of 3 rounds of ${REPLAYS} replays):`);
for (const [name] of variants) {
  const each = results[name] ?? 0;
  console.log(`  ${name.padEnd(72)} ${(each * 1000).toFixed(1).padStart(7)} µs${name.startsWith('nothing') ? '' : `   (+${((each - overhead) * 1000).toFixed(1)} µs)`}`);
}

const requestResults = { without: Infinity, with: Infinity };
for (let round = 0; round < 3; round++) {
  requestResults.without = Math.min(requestResults.without, await perRequest(undefined, REQUESTS));
  requestResults.with = Math.min(requestResults.with, await perRequest({ metrics: new GatewayMetrics(), requestLog: infoLogger, shuttingDown: () => false }, REQUESTS));
}
console.log(`\nrequest plugins (summary, request log line, request metrics), CPU per request (best of 3 rounds of ${REQUESTS}):`);
console.log(`  without  ${(requestResults.without * 1000).toFixed(1).padStart(7)} µs`);
console.log(`  with     ${(requestResults.with * 1000).toFixed(1).padStart(7)} µs   (+${((requestResults.with - requestResults.without) * 1000).toFixed(1)} µs)`);
process.exit(0);
