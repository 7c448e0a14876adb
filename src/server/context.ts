import { WriteScope } from '../provisioning/tenancy.ts';
import type { Caller, GatewayContext, WriteServices } from '../schema/context.ts';
import type { CacheUse } from '../upstreams/call-path/cache.ts';
import type { CallScope } from '../upstreams/http.ts';
import type { Upstreams } from '../upstreams/index.ts';

/** One request's context: fresh loaders that see what the caller may see, and its writes' services. */
export function createContext(upstreams: Upstreams, writes: WriteServices, scope: CallScope, caller: Caller): GatewayContext {
  // Until its operation is known (`useReadCache`), a request may show any secret and read anew.
  const cacheUse: CacheUse = { bypass: true, secrets: true };
  const loaders = upstreams.forRequest({ ...scope, cache: cacheUse }, { organization: caller.organization });
  return { requestId: scope.requestId, deadline: scope.deadline, caller, writes, writeScope: new WriteScope(loaders.gate.membership), answeredMutations: [], cacheUse, ...loaders };
}
