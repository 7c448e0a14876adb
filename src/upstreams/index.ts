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

  constructor(
    endpoints: UpstreamEndpoints,
    private readonly limits: UpstreamLimits,
    observer: UpstreamObserver = {},
  ) {
    this.#onBatch = observer.loaderBatch?.bind(observer);
    this.gate = new UpstreamHttp('gate', endpoints.gate, gateProtocol, observer);
    this.edge = new UpstreamHttp('edge', endpoints.edge, edgeProtocol, observer);
    this.switch = new UpstreamHttp('switch', endpoints.switch, switchProtocol, observer);
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
      clients: { gate, edge },
    };
  }

  async close(): Promise<void> {
    await Promise.all([this.gate.close(), this.edge.close(), this.switch.close()]);
  }
}

export interface RequestUpstreams {
  gate: GateLoaders;
  edge: EdgeLoaders;
  switch: SwitchLoaders;
  /** For writes, which go straight to the upstream (switch has none). */
  clients: { gate: GateClient; edge: EdgeClient };
}
