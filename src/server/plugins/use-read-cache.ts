import { BREAK, getOperationAST, TypeInfo, visit, visitWithTypeInfo, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GatewayContext } from '../../schema/context.ts';

/**
 * The fields whose values the upstream cache does not keep (see `CachePlan.withholding`): gate's
 * AAA token string, stored as null. A request of a client that may see one and asks for it reads
 * gate's user tokens upstream.
 */
const WITHHELD_FIELDS: ReadonlyMap<string, string> = new Map([['Token', 'token']]);

/** Whether a document asks for a withheld field anywhere, through fragments and interfaces too; worked out once per document. */
const asksForWithheld = new WeakMap<DocumentNode, boolean>();

function selectsWithheld(schema: GraphQLSchema, document: DocumentNode): boolean {
  let known = asksForWithheld.get(document);
  if (known !== undefined) return known;
  known = false;
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        if (WITHHELD_FIELDS.get(typeInfo.getParentType()?.name ?? '') !== node.name.value) return undefined;
        known = true;
        return BREAK;
      },
    }),
  );
  asksForWithheld.set(document, known);
  return known;
}

/**
 * Settles how each request's reads meet the upstream cache, before any resolver runs: a mutation
 * reads everything anew (its checks of what it may touch, and what it answers, are reads a write
 * depends on); a query reads from the cache, except what holds a secret the cache withholds when
 * its client may see it and asks for it. Tenancy needs nothing here: the cache answers what the
 * upstream answered the gateway's own credentials, and the loaders filter every answer for the
 * request's organization, cached or not.
 */
export function useReadCache(): Plugin {
  return {
    onExecute({ args }) {
      const context = args.contextValue as unknown as GatewayContext;
      const operation = getOperationAST(args.document, args.operationName);
      context.cacheUse.bypass = operation?.operation !== 'query';
      context.cacheUse.secrets = context.caller.scopes.has('tokens:secret') && selectsWithheld(args.schema, args.document);
    },
  };
}
