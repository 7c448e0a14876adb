import { WriteScope } from '../provisioning/tenancy.ts';
import type { Caller, GatewayContext, WriteServices } from '../schema/context.ts';
import type { CallScope } from '../upstreams/http.ts';
import type { Upstreams } from '../upstreams/index.ts';

/** One request's context: fresh loaders that see what the caller may see, and its writes' services. */
export function createContext(upstreams: Upstreams, writes: WriteServices, scope: CallScope, caller: Caller): GatewayContext {
  const loaders = upstreams.forRequest(scope, { organization: caller.organization });
  return { requestId: scope.requestId, deadline: scope.deadline, caller, writes, writeScope: new WriteScope(loaders.gate.membership), answeredMutations: [], ...loaders };
}
