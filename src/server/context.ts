import type { RequestLoaders, Upstreams } from '../upstreams/index.ts';

export interface GatewayContext extends RequestLoaders {
  requestId: string;
}

export function createContext(upstreams: Upstreams, requestId: string): GatewayContext {
  return { requestId, ...upstreams.loadersFor(requestId) };
}
