import { EdgeClient, edgeProtocol, type EdgeLimits } from './edge/client.ts';
import { EdgePagingKnowledge } from './edge/list.ts';
import { createEdgeLoaders, type EdgeLoaders } from './edge/loaders.ts';
import { GateClient, gateProtocol } from './gate/client.ts';
import { createGateLoaders, type GateLoaders } from './gate/loaders.ts';
import { UpstreamHttp, type CallScope, type UpstreamEndpoint } from './http.ts';
import type { UpstreamHealth, UpstreamObserver } from './observer.ts';
import { SwitchClient, switchProtocol, type SwitchLimits } from './switch/client.ts';
import { createSwitchLoaders, type SwitchLoaders } from './switch/loaders.ts';
import type { Tenancy, TenantScanLimit } from './tenancy.ts';
import type { ReadCacheStore } from '../state/read-cache.ts';

export type { Tenancy } from './tenancy.ts';

export interface UpstreamEndpoints {
  gate: UpstreamEndpoint;
  edge: UpstreamEndpoint;
  switch: UpstreamEndpoint;
}

/** Bounds on what one lookup may cost an upstream, beyond the size of a page. */
export interface UpstreamLimits {
  edge: EdgeLimits;
  switch: SwitchLimits;
  tenantScan: TenantScanLimit;
  /** The time read-backs and undo steps of a write get of their own, past the request's deadline. */
  writeRecoveryMs: number;
}

/** The long-lived part: one keep-alive pool per upstream, closed on shutdown. */
export class Upstreams {
  readonly gate: UpstreamHttp;
  readonly edge: UpstreamHttp;
  readonly switch: UpstreamHttp;
  /** What gate's `/user_extra/` numbers each organization (see `GateTenancy`). */
  readonly #extraNumbers = new Map<string, string>();
  /** How edge's lists page, as their links have shown it (see `EdgeList`). */
  readonly #edgePaging = new EdgePagingKnowledge();
  /** Hears of each loader batch (`loaderBatch`); undefined: no loader is watched. */
  readonly #onBatch: UpstreamObserver['loaderBatch'];

  private readonly limits: UpstreamLimits;
  /** The store of the read cache the endpoints share, closed with them. */
  private readonly cacheStore: ReadCacheStore | undefined;
  constructor(
    endpoints: UpstreamEndpoints,
    cacheStore: ReadCacheStore | undefined,
    limits: UpstreamLimits,
    observer: UpstreamObserver = {},
  ) {
    this.limits = limits;
    this.cacheStore = cacheStore;
    this.#onBatch = observer.loaderBatch?.bind(observer);
    this.gate = new UpstreamHttp('gate', endpoints.gate, gateProtocol, observer);
    this.edge = new UpstreamHttp('edge', endpoints.edge, edgeProtocol, observer);
    this.switch = new UpstreamHttp('switch', endpoints.switch, switchProtocol, observer);
  }

  /** Whether some upstream's reads are cached. */
  get cachesReads(): boolean {
    return this.cacheStore !== undefined;
  }

  /** Each upstream's breaker and bulkhead, for `/readyz` and the metrics. */
  health(): UpstreamHealth[] {
    return [this.gate.health(), this.edge.health(), this.switch.health()];
  }

  /**
   * Fresh loaders for one incoming request, and the clients behind them for its writes; every
   * upstream call carries its request id and ends by its deadline. The loaders answer only what `tenancy` may see.
   */
  forRequest(scope: CallScope, { organization }: Tenancy): RequestUpstreams {
    const gate = new GateClient(this.gate, scope);
    const edge = new EdgeClient(this.edge, scope, this.limits.edge, this.#edgePaging);
    const scan = this.limits.tenantScan;
    const onBatch = this.#onBatch;
    const gateLoaders = createGateLoaders(gate, { organization, scan, extraNumbers: this.#extraNumbers }, onBatch);
    const { membership } = gateLoaders;
    return {
      gate: gateLoaders,
      edge: createEdgeLoaders(edge, membership, onBatch),
      switch: createSwitchLoaders(new SwitchClient(this.switch, scope, this.limits.switch), { membership, scan }, onBatch),
      clients: this.#writeClients({ ...scope, fresh: true }),
    };
  }

  /**
   * Clients for writes: every read they make is fresh (a write is computed from it or settled by
   * it). `recovery` gives the same clients under a deadline of their own, so that undoing and
   * settling a write still run when the request's own deadline is spent.
   */
  #writeClients(scope: CallScope): WriteClients {
    return {
      gate: new GateClient(this.gate, scope),
      edge: new EdgeClient(this.edge, scope, this.limits.edge, this.#edgePaging),
      switch: new SwitchClient(this.switch, scope, this.limits.switch),
      timeLeftMs: () => scope.deadline - performance.now(),
      expectedCallMs: () => Math.max(this.gate.latency.expectedMs(), this.edge.latency.expectedMs()),
      recovery: () => this.#writeClients({ requestId: scope.requestId, deadline: performance.now() + this.limits.writeRecoveryMs, fresh: true }),
    };
  }

  async close(): Promise<void> {
    await Promise.all([this.gate.close(), this.edge.close(), this.switch.close(), this.cacheStore?.close()]);
  }
}

export interface RequestUpstreams {
  gate: GateLoaders;
  edge: EdgeLoaders;
  switch: SwitchLoaders;
  /** For writes, which go straight to the upstream; switch has none, but its names are checked. */
  clients: WriteClients;
}

export interface WriteClients {
  gate: GateClient;
  edge: EdgeClient;
  switch: SwitchClient;
  /** What is left of the deadline these clients call under, in ms. */
  timeLeftMs(): number;
  /** How long one write call to gate or edge is expected to take now (the slower of the two), in ms. */
  expectedCallMs(): number;
  /**
   * The same clients with a deadline of their own (`WRITE_RECOVERY_MS` from now), for what must
   * run even when the request's deadline is spent: read-backs, undo steps, settling.
   */
  recovery(): WriteClients;
}
