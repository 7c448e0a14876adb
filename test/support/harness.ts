import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';
import { afterEach } from 'vitest';
import { loadConfig, type UpstreamSettings } from '../../src/server/config.ts';
import { createUpstreams, readCacheFor } from '../../src/server/gateway.ts';
import { simulatorSettings } from '../../src/server/embedded-simulators.ts';
import { createGateway, type Gateway } from '../../src/server/yoga.ts';
import { startSimulators, type EdgePaging, type SimulatedRequest, type Simulators } from '../../src/simulators/index.ts';
import type { AuditEntry } from '../../src/provisioning/audit.ts';
import { createSharedState } from '../../src/state/index.ts';
import type { Upstreams } from '../../src/upstreams/index.ts';
import type { UpstreamObserver } from '../../src/upstreams/observer.ts';
import { startReshapingProxy, type Reshaping, type ReshapingProxy } from './reshaping-proxy.ts';

type UpstreamKey = 'gate' | 'edge' | 'switch';

export interface GraphQLResult<T> {
  data?: T | null;
  errors?: GraphQLFormattedError[];
}

export interface Harness {
  simulators: Simulators;
  yoga: Gateway;
  /** Runs an operation in process through `yoga.fetch`, as a client would over HTTP. */
  execute<T, V extends Record<string, unknown>>(
    document: TypedDocumentNode<T, V> | string,
    variables?: V,
    headers?: Record<string, string>,
  ): Promise<GraphQLResult<T>>;
  /** Like `execute`, failing the test on any GraphQL error. */
  data<T, V extends Record<string, unknown>>(document: TypedDocumentNode<T, V> | string, variables?: V): Promise<T>;
  /** The upstream requests the simulators saw since the last reset. */
  requests(): SimulatedRequest[];
  /** The proxies in front of the upstreams that `reshape` names. */
  proxies: Partial<Record<UpstreamKey, ReshapingProxy>>;
  /** Every audit line the mutations wrote, in order. */
  audit: AuditEntry[];
  /** The gateway's upstreams: their breakers and bulkheads (`health()`). */
  upstreams: Upstreams;
  close(): Promise<void>;
}

export interface HarnessOptions {
  latencyMs?: number;
  /** How the simulated edge names and sizes its pages. */
  edgePaging?: Partial<EdgePaging>;
  /** Replaces what the gateway is told about an upstream (a wrong token, say). */
  override?: Partial<Record<UpstreamKey, Partial<UpstreamSettings>>>;
  /** Puts a proxy in front of these upstreams that answers as another implementation of their docs might. */
  reshape?: Partial<Record<UpstreamKey, Reshaping>>;
  /** Settings as the environment would give them (`UPSTREAM_TIMEOUT_MS`, `REDIS_URL`, say), when a test needs other limits. */
  env?: NodeJS.ProcessEnv;
  /** Put before the shared state's Redis keys, so that test runs on one Redis never meet. */
  redisKeyPrefix?: string;
  /** How long each Redis command may take (the state's `redisTimeoutMs`). */
  redisTimeoutMs?: number;
  /** Hears every upstream attempt, retry and breaker change. */
  observer?: UpstreamObserver;
  /**
   * Another harness's simulators, to stand for a second gateway process on the same upstreams
   * (with the same REDIS_URL and key prefix, the same shared state too); the other harness closes them.
   */
  sharing?: Harness;
  /** The clock the writes settle by (`WRITE_SETTLE_MS`) and cached reads age by, for tests that move time instead of waiting. */
  clock?: { now: () => number };
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const simulators =
    options.sharing?.simulators ?? (await startSimulators({ latencyMs: options.latencyMs, ...(options.edgePaging ? { edgePaging: options.edgePaging } : {}) }));
  const settings = simulatorSettings(simulators);
  const proxies: Harness['proxies'] = {};
  for (const key of ['gate', 'edge', 'switch'] as const) {
    const reshaping = options.reshape?.[key];
    if (reshaping) proxies[key] = await startReshapingProxy(settings[key].url, reshaping);
    settings[key] = { ...settings[key], ...(proxies[key] && { url: proxies[key].url }), ...options.override?.[key] };
  }
  const config = loadConfig(options.env ?? {});
  const { clock } = options;
  const now = clock ? () => clock.now() : Date.now;
  const cache = await readCacheFor(config, now, { keyPrefix: options.redisKeyPrefix });
  const upstreams = createUpstreams(settings, config, options.observer, cache);
  const state = await createSharedState({
    redisUrl: config.redisUrl,
    keyPrefix: options.redisKeyPrefix,
    rateLimitWaitMs: config.rateLimitRedisWaitMs,
    ...(options.redisTimeoutMs !== undefined && { redisTimeoutMs: options.redisTimeoutMs }),
  });
  const audit: AuditEntry[] = [];
  // Tests read errors from the answers; the log would only repeat them.
  const yoga = createGateway(upstreams, {
    logger: false,
    writes: {
      state,
      audit: (entry) => audit.push(entry),
      idempotencySecret: 'harness',
      lockWaitMs: config.lockWaitMs,
      settleMs: config.writeSettleMs,
      now,
    },
    security: config,
    requestDeadlineMs: config.requestDeadlineMs,
    admission: config.admission,
  });

  const execute: Harness['execute'] = async (document, variables, headers = {}) => {
    const query = typeof document === 'string' ? document : print(document);
    const response = await yoga.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GraphQLResult<never>;
  };

  return {
    simulators,
    yoga,
    execute,
    async data(document, variables) {
      const result = await execute(document, variables);
      if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors, null, 2)}`);
      if (!result.data) throw new Error('no data');
      return result.data;
    },
    requests: () => simulators.requests,
    proxies,
    audit,
    upstreams,
    async close() {
      await Promise.all([upstreams.close(), state.close()]);
      await Promise.all(Object.values(proxies).map((proxy) => proxy.close()));
      if (!options.sharing) await simulators.close();
    },
  };
}

/**
 * For tests that each start a harness of their own: the function returned starts one, and every
 * harness it started is closed after each test.
 */
export function harnessPerTest(): (options: HarnessOptions) => Promise<Harness> {
  const started: Harness[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((harness) => harness.close()));
  });
  return async (options) => {
    const harness = await startHarness(options);
    started.push(harness);
    return harness;
  };
}

/** The settings that point a gateway at these simulators, as its environment would give them. */
export function upstreamEnv(simulators: Simulators): NodeJS.ProcessEnv {
  return {
    GATE_URL: simulators.gate.url,
    GATE_TOKEN: simulators.gate.token,
    EDGE_URL: simulators.edge.url,
    EDGE_TOKEN: simulators.edge.token,
    SWITCH_URL: simulators.switch.url,
    SWITCH_TOKEN: simulators.switch.token,
  };
}
