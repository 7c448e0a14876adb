import type { GateUserToken } from '../upstreams/gate/types.ts';
import { builder } from './builder.ts';
import { served } from '../upstreams/validation.ts';
import { integerId } from './global-ids.ts';
import { settleNodes } from './nodes.ts';
import { TokenRef } from './token.ts';
import { UserRef } from './user.ts';

/** A user token as read with `balance=true`; wrapped so it is told apart from the Token itself. */
interface BalanceShape {
  token: GateUserToken;
}

export const BalanceRef = builder.objectRef<BalanceShape>('Balance');

const units: readonly [string, number][] = [
  ['d', 86_400],
  ['h', 3_600],
  ['m', 60],
  ['s', 1],
];

/** `93784` -> `1d 2h 3m 4s`; zero units are left out, and no time at all reads `0s`. */
export function humanDuration(seconds: number): string {
  const sign = seconds < 0 ? '-' : '';
  let rest = Math.abs(Math.trunc(seconds));
  const parts: string[] = [];
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0) parts.push(`${count}${unit}`);
  }
  return parts.length ? sign + parts.join(' ') : '0s';
}

const asBalance = (token: GateUserToken | null): BalanceShape | null => token && { token };

builder.node(BalanceRef, {
  description: "The time balance of a person's gate user token (read with `balance=true`).",
  id: { resolve: (balance) => balance.token.id },
  loadManyWithoutCache: (ids, context) =>
    settleNodes(ids, async (id) => asBalance(await context.gate.tokenById.load({ key: integerId(id, 'Balance'), detailed: true }))),
  fields: (t) => ({
    seconds: t.field({
      type: 'SafeInt',
      nullable: true,
      description: 'Remaining time, in whole seconds (a fraction gate sends is cut off).',
      resolve: ({ token }) => token.balanceSeconds,
    }),
    totalUsageSeconds: t.field({
      type: 'SafeInt',
      nullable: true,
      description: 'Time used so far, in whole seconds.',
      resolve: ({ token }) => token.totalUsageSeconds,
    }),
    lastActivity: t.field({ type: 'DateTime', nullable: true, resolve: ({ token }) => token.lastActivity }),
    humanReadable: t.string({
      nullable: true,
      description: 'Remaining time for people, e.g. `1d 2h 3m 4s`.',
      resolve: ({ token }) => {
        const seconds = served(token.balanceSeconds);
        return seconds === null ? null : humanDuration(seconds);
      },
    }),
    token: t.field({ type: TokenRef, resolve: ({ token }) => token }),
  }),
});

builder.objectField(UserRef, 'balance', (t) =>
  t.field({
    type: BalanceRef,
    nullable: true,
    description: "The time balance of the person's gate user token, or null when they have none.",
    resolve: async (user, _args, context) => asBalance(await context.gate.tokenByUsername.load({ key: user.username, detailed: true })),
  }),
);

builder.objectField(TokenRef, 'balance', (t) =>
  t.field({
    type: BalanceRef,
    nullable: true,
    resolve: async (token, _args, context) =>
      asBalance(await context.gate.tokenById.load({ key: String(token.id), detailed: true })),
  }),
);
