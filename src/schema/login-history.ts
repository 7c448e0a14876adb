import type { EdgeLoginAttempt } from '../upstreams/edge/types.ts';
import type { PositionedList } from '../upstreams/paging.ts';
import { builder } from './builder.ts';
import { addEdgeAccountList, EdgeUserRef } from './edge-user.ts';
import { addressableId, compositeId, integerId, splitCompositeId } from './global-ids.ts';
import { settleNodes } from './nodes.ts';

/**
 * One attempt in an account's history. Attempts have no id upstream: one is named by its
 * account, its time and, for attempts in the same instant, how many came before it, worked out
 * only when the id is asked for.
 */
interface LoginHistoryShape {
  userId: string;
  /** The attempts read so far, by position (a window deep in the list leaves the ones before it unread). */
  history: readonly EdgeLoginAttempt[];
  index: number;
  /** The whole history, for the attempts before this one when they were not read. */
  list?: PositionedList<EdgeLoginAttempt>;
}

const attemptOf = ({ history, index }: LoginHistoryShape) => history[index] as EdgeLoginAttempt;

/** The instant of an attempt as its id names it; empty when edge sent none (or none that can be read). */
const instantOf = (attempt: EdgeLoginAttempt | undefined): string =>
  attempt?.attemptedAt instanceof Date ? attempt.attemptedAt.toISOString() : '';

async function occurrenceOf({ history: read, index, list }: LoginHistoryShape): Promise<number> {
  let history = read;
  for (let position = 0; position < index && list; position++) {
    if (!(position in history)) {
      history = await list.readTo(index);
      break;
    }
  }
  const instant = instantOf(history[index]);
  let earlier = 0;
  for (let position = 0; position < index; position++) if (instantOf(history[position]) === instant) earlier++;
  return earlier;
}

export const LoginHistoryRef = builder.objectRef<LoginHistoryShape>('LoginHistory');

builder.node(LoginHistoryRef, {
  description: 'One login attempt on edge.',
  id: { resolve: async (entry) => compositeId(entry.userId, instantOf(attemptOf(entry)), await occurrenceOf(entry)) },
  loadManyWithoutCache: (ids, context) =>
    settleNodes(ids, async (id) => {
      const [userId = '', instant, occurrenceText = ''] = splitCompositeId(id, 3, 'LoginHistory');
      const occurrence = integerId(occurrenceText, 'LoginHistory');
      const history = await (await context.edge.loginHistory.load(addressableId(userId, 'LoginHistory'))).all();
      let sameInstant = 0;
      const index = history.findIndex((attempt) => instantOf(attempt) === instant && String(sameInstant++) === occurrence);
      return index === -1 ? null : { userId, history, index };
    }),
  fields: (t) => ({
    success: t.boolean({ nullable: true, resolve: (entry) => attemptOf(entry).success }),
    userAgent: t.string({ nullable: true, resolve: (entry) => attemptOf(entry).userAgent }),
    attemptedAt: t.field({ type: 'DateTime', nullable: true, resolve: (entry) => attemptOf(entry).attemptedAt }),
    remoteAddress: t.string({ nullable: true, resolve: (entry) => attemptOf(entry).remoteAddress }),
    account: t.field({
      type: EdgeUserRef,
      nullable: true,
      description: 'The edge account that attempted to log in.',
      resolve: (entry, _args, context) => context.edge.userById.load(entry.userId),
    }),
  }),
});

addEdgeAccountList({
  field: 'loginHistory',
  node: LoginHistoryRef,
  name: 'LoginHistory',
  description: "edge login attempts, in edge's order (newest first).",
  list: (context) => context.edge.loginHistory,
  toNode: (userId, history, index, list) => ({ userId, history, index, list }),
});
