import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin, { AuthScopeFailureType, type AuthFailure } from '@pothos/plugin-scope-auth';
import ValidationPlugin from '@pothos/plugin-validation';
import { DateTimeResolver, JSONResolver, SafeIntResolver } from 'graphql-scalars';
import { AuditTrail } from '../provisioning/audit.ts';
import { ForbiddenError } from '../provisioning/failures.ts';
import type { GatewayContext, Scope } from './context.ts';
import type { Checked } from '../upstreams/validation.ts';
import { badUserInput, forbiddenField } from './errors.ts';
import { reportMutation } from './mutation-report.ts';
import { assertNodeType, decodeGlobalId, encodeGlobalId } from './global-ids.ts';
import ReadScopePlugin from './read-scope.ts';

/** Where a standard-schema issue points, as the client wrote it: `filter.organization`. */
function issuePath(path: readonly (PropertyKey | { key: PropertyKey })[] | undefined): string {
  return (path ?? []).map((segment) => String(typeof segment === 'object' ? segment.key : segment)).join('.');
}

/** The builder's auth scopes, each the client scope that grants it. */
const SCOPES = { usersRead: 'users:read', usersWrite: 'users:write', tokensSecret: 'tokens:secret', admin: 'admin' } as const satisfies Record<string, Scope>;
type AuthScope = keyof typeof SCOPES;

/** The client scope whose absence refused a field (the first, where several were needed). */
function missingScope(failure: AuthFailure): Scope | undefined {
  if (failure.kind === AuthScopeFailureType.AuthScope) return SCOPES[failure.scope as AuthScope];
  if (failure.kind === AuthScopeFailureType.AnyAuthScopes || failure.kind === AuthScopeFailureType.AllAuthScopes) {
    for (const each of failure.failures) {
      const scope = missingScope(each);
      if (scope) return scope;
    }
  }
  return undefined;
}

export const builder = new SchemaBuilder<{
  Context: GatewayContext;
  // Outputs read from upstream records may hold the error of a value that could not be served
  // (see `Checked`): graphql-js raises it on that field alone.
  Scalars: {
    ID: { Input: string; Output: string | number };
    Int: { Input: number; Output: Checked<number> };
    SafeInt: { Input: number; Output: Checked<number> };
    DateTime: { Input: Date; Output: Checked<Date> };
    JSON: { Input: unknown; Output: unknown };
  };
  Connection: { totalCount: () => Promise<number> };
  AuthScopes: Record<AuthScope, boolean>;
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
}>({
  // Scopes before anything that reads the arguments: nothing (argument checks included) runs for
  // a caller who may not ask. What a mutation's payload leads to needs users:read as well (see
  // read-scope.ts). The errors plugin wraps them all, so that a mutation refused for its scopes
  // answers as its result union's ForbiddenError.
  plugins: [ErrorsPlugin, ScopeAuthPlugin, ReadScopePlugin, RelayPlugin, ValidationPlugin],
  scopeAuth: {
    authScopes: ({ caller }) => ({
      usersRead: caller.scopes.has(SCOPES.usersRead),
      usersWrite: caller.scopes.has(SCOPES.usersWrite),
      tokensSecret: caller.scopes.has(SCOPES.tokensSecret),
      admin: caller.scopes.has(SCOPES.admin),
    }),
    // A field answers null with FORBIDDEN; a mutation answers ForbiddenError, audited as refused.
    unauthorizedError: (_parent, context, info, result) => {
      if (info.parentType !== info.schema.getMutationType()) return forbiddenField(info);
      const scope = missingScope(result.failure) ?? SCOPES.usersWrite;
      reportMutation(context, info, new AuditTrail(info.fieldName), 'ForbiddenError');
      return new ForbiddenError(scope, [], `This client may not run ${info.fieldName}: it needs the ${scope} scope. Nothing was written.`);
    },
  },
  // Each mutation lists the failures it can give, and every one may be forbidden; anything else
  // stays a (masked) GraphQL error.
  errors: { defaultTypes: [ForbiddenError] },
  // A field is non-null unless it says otherwise: what an upstream may lack is marked nullable.
  defaultFieldNullability: false,
  validation: {
    validationError: (result) =>
      badUserInput(
        result.issues
          .map((issue) => {
            const path = issuePath(issue.path);
            return path ? `\`${path}\` ${issue.message}` : issue.message;
          })
          .join('; '),
      ),
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    edgesFieldOptions: { nullable: false },
    nodeFieldOptions: { nullable: false },
    encodeGlobalID: encodeGlobalId,
    decodeGlobalID: decodeGlobalId,
    nodeQueryOptions: {
      resolve: (_root, { id }, _context, info, resolveNode) => {
        assertNodeType(id.typename, info);
        return resolveNode(id);
      },
    },
    // `nodes` is defined in nodes.ts, so that one bad id fails its own item only.
    nodesQueryOptions: false,
  },
});

builder.addScalarType('DateTime', DateTimeResolver);
builder.addScalarType('SafeInt', SafeIntResolver);
builder.addScalarType('JSON', JSONResolver);

// Reading needs users:read, and every mutation users:write: checked before a resolver runs.
builder.queryType({ authScopes: { usersRead: true } });
builder.mutationType({ authScopes: { usersWrite: true } });

type SchemaTypesOf<B> = B extends PothosSchemaTypes.SchemaBuilder<infer Types> ? Types : never;
/** The builder's types, for helpers that build fields or refs outside a `fields` callback. */
export type GatewaySchemaTypes = SchemaTypesOf<typeof builder>;

builder.globalConnectionField('totalCount', (t) =>
  t.int({
    nullable: true,
    description: 'How many items the whole list holds, across all pages; null (with an error) when it cannot be worked out.',
    resolve: (connection) => connection.totalCount(),
  }),
);
