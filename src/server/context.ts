import type { GatewayContext, WriteServices } from '../schema/context.ts';
import type { Upstreams } from '../upstreams/index.ts';

export function createContext(upstreams: Upstreams, writes: WriteServices, requestId: string): GatewayContext {
  return { requestId, who: 'anonymous', writes, ...upstreams.forRequest(requestId) };
}
