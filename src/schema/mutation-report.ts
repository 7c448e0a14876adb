import { responsePathAsArray, type GraphQLResolveInfo } from 'graphql';
import type { AuditTrail } from '../provisioning/audit.ts';
import type { GatewayContext } from './context.ts';

/**
 * Notes how a mutation field was answered: one audit line (who did what to which records, and how
 * it ended) and an entry in the request's list, which its summary and replay marks read.
 */
export function reportMutation(context: GatewayContext, info: GraphQLResolveInfo, audit: AuditTrail, outcome: string): void {
  context.writes.audit(audit.entry(context.caller.key, context.requestId, outcome));
  context.answeredMutations.push({ path: responsePathAsArray(info.path), mutation: info.fieldName, outcome, replayed: audit.replayed });
}
