import { EdgeClient } from './edge/client.ts';
import { createEdgeLoaders, type EdgeLoaders } from './edge/loaders.ts';
import { GateClient } from './gate/client.ts';
import { createGateLoaders, type GateLoaders } from './gate/loaders.ts';
import { UpstreamHttp, type UpstreamEndpoint } from './http.ts';
import { SwitchClient } from './switch/client.ts';
import { createSwitchLoaders, type SwitchLoaders } from './switch/loaders.ts';

export interface UpstreamEndpoints {
  gate: UpstreamEndpoint;
  edge: UpstreamEndpoint;
  switch: UpstreamEndpoint;
}

/** The long-lived part: one keep-alive pool per upstream, closed on shutdown. */
export class Upstreams {
  readonly gate: UpstreamHttp;
  readonly edge: UpstreamHttp;
  readonly switch: UpstreamHttp;

  constructor(endpoints: UpstreamEndpoints) {
    this.gate = new UpstreamHttp('gate', endpoints.gate);
    this.edge = new UpstreamHttp('edge', endpoints.edge);
    this.switch = new UpstreamHttp('switch', endpoints.switch);
  }

  /** Fresh loaders for one incoming request; every upstream call carries its request id. */
  loadersFor(requestId: string): RequestLoaders {
    return {
      gate: createGateLoaders(new GateClient(this.gate, requestId)),
      edge: createEdgeLoaders(new EdgeClient(this.edge, requestId)),
      switch: createSwitchLoaders(new SwitchClient(this.switch, requestId)),
    };
  }

  async close(): Promise<void> {
    await Promise.all([this.gate.close(), this.edge.close(), this.switch.close()]);
  }
}

export interface RequestLoaders {
  gate: GateLoaders;
  edge: EdgeLoaders;
  switch: SwitchLoaders;
}
