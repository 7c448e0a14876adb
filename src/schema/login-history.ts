import type { EdgeLoginAttempt } from '../upstreams/edge/types.ts';
import { builder } from './builder.ts';
import { addEdgeAccountList, EdgeUserRef } from './edge-user.ts';
import { compositeId, settleNodes, splitCompositeId } from './nodes.ts';

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

addEdgeAccountList({
  field: 'loginHistory',
  node: LoginHistoryRef,
  name: 'LoginHistory',
  description: "edge login attempts, in edge's order (newest first).",
  list: (context) => context.edge.loginHistory,
});
