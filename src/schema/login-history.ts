import type { EdgeLoginAttempt } from '../upstreams/edge/types.ts';
import { builder } from './builder.ts';
import { EdgeUserRef, edgeListOf } from './edge-user.ts';
import { compositeId, settleNodes, splitCompositeId } from './nodes.ts';
import { connectionDescription, resolveListConnection } from './pagination.ts';
import { UserRef } from './user.ts';

export const LoginHistoryRef = builder.objectRef<EdgeLoginAttempt>('LoginHistory');

builder.node(LoginHistoryRef, {
  description: 'One login attempt on edge.',
  id: { resolve: (attempt) => compositeId(attempt.userId, attempt.attemptedAt, attempt.occurrence) },
  loadManyWithoutCache: (ids, context) =>
    settleNodes(ids, async (id) => {
      const [userId, attemptedAt, occurrence] = splitCompositeId(id, 3) ?? [];
      if (userId === undefined) return null;
      const history = await context.edge.loginHistory.load(userId);
      return history.find((attempt) => attempt.attemptedAt === attemptedAt && String(attempt.occurrence) === occurrence) ?? null;
    }),
  fields: (t) => ({
    success: t.exposeBoolean('success', { nullable: true }),
    userAgent: t.exposeString('userAgent', { nullable: true }),
    attemptedAt: t.expose('attemptedAt', { type: 'DateTime' }),
    remoteAddress: t.exposeString('remoteAddress', { nullable: true }),
    account: t.field({
      type: EdgeUserRef,
      nullable: true,
      description: 'The edge account that attempted to log in.',
      resolve: (attempt, _args, context) => context.edge.userById.load(attempt.userId),
    }),
  }),
});

const LoginHistoryConnection = builder.connectionObject(
  { type: LoginHistoryRef, name: 'LoginHistoryConnection' },
  { name: 'LoginHistoryEdge' },
);

const description = `edge login attempts, in edge's order (newest first). ${connectionDescription}`;

builder.objectField(EdgeUserRef, 'loginHistory', (t) =>
  t.connection(
    { type: LoginHistoryRef, nullable: true, description, resolve: (user, args, context) => resolveListConnection(args, context.edge.loginHistory.load(user.id)) },
    LoginHistoryConnection,
  ),
);

builder.objectField(UserRef, 'loginHistory', (t) =>
  t.connection(
    {
      type: LoginHistoryRef,
      nullable: true,
      description: `${description} Empty when the person has no edge account; null when edge fails.`,
      resolve: (user, args, context) => resolveListConnection(args, edgeListOf(user, context, context.edge.loginHistory)),
    },
    LoginHistoryConnection,
  ),
);
