import { z } from 'zod';
import { addBalance, setBalance, settleTopUp, type BalanceAttempt, type BalanceDependencies } from '../provisioning/balance.ts';
import { once } from '../provisioning/idempotency.ts';
import type { GateUserToken } from '../upstreams/gate/types.ts';
import { builder } from './builder.ts';
import { IDENTIFIES_RECORD } from './read-scope.ts';
import type { GatewayContext } from './context.ts';
import { idempotencyKeyInput, optional, secondsInput, usernameInput } from './inputs.ts';
import {
  checkedInput,
  IdempotencyKeyBusy,
  IdempotencyKeyReused,
  LockTimeout,
  mutationResult,
  NotFoundError,
  payloadType,
  performMutation,
  ValidationError,
  writeFailures,
} from './results.ts';
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
    token: t.field({ type: TokenRef, description: 'The user token this balance is of.', extensions: IDENTIFIES_RECORD, resolve: ({ token }) => token }),
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

// ---- mutations: a balance is set absolutely or changed by an amount, one change at a time per user ----

const SetBalanceInput = builder.inputType('SetBalanceInput', {
  fields: (t) => ({
    username: t.string({ required: true }),
    seconds: t.int({ required: true, description: 'The new balance, in seconds.' }),
  }),
});

const AddBalanceInput = builder.inputType('AddBalanceInput', {
  fields: (t) => ({
    username: t.string({ required: true }),
    seconds: t.int({ required: true, description: 'Seconds to add; negative to charge (never below zero).' }),
    idempotencyKey: t.string({ description: 'The same key with the same input answers the first result without changing the balance again (24 h).' }),
  }),
});

const setBalanceInput = z.object({ username: usernameInput, seconds: secondsInput });
const addBalanceInput = z.object({ username: usernameInput, seconds: z.number().int(), idempotencyKey: optional(idempotencyKeyInput) });

const BalancePayload = payloadType<{ token: GateUserToken }>('BalancePayload', 'The user token and its balance as gate now has them.', (t) => ({
  token: t.field({ type: TokenRef, resolve: ({ token }) => token }),
  balance: t.field({ type: BalanceRef, resolve: ({ token }) => ({ token }) }),
}));

const BalanceResult = mutationResult('BalanceResult', BalancePayload, [
  ValidationError,
  NotFoundError,
  ...writeFailures,
  IdempotencyKeyReused,
  IdempotencyKeyBusy,
  LockTimeout,
]);

/** What balance changes need: the request's write clients, the shared locks and notes, the clock. */
const balanceDependencies = (context: GatewayContext): BalanceDependencies => ({
  clients: context.clients,
  scope: context.writeScope,
  state: context.writes.state,
  lockWaitMs: context.writes.lockWaitMs,
  settleMs: context.writes.settleMs,
  now: context.writes.now,
});

builder.mutationFields((t) => ({
  setBalance: t.field({
    type: BalanceResult,
    description: "Sets a user token's time balance (PATCH `balance_seconds`), holding the user's balance lock.",
    args: { input: t.arg({ type: SetBalanceInput, required: true }) },
    resolve: (_root, { input }, context, info) =>
      performMutation(context, info, async (audit) => {
        const { username, seconds } = checkedInput(setBalanceInput, input);
        const token = await setBalance(balanceDependencies(context), username, seconds, audit);
        context.gate.wrote.token(token);
        return { token };
      }),
  }),
  addBalance: t.field({
    type: BalanceResult,
    description:
      "Adds to a user token's time balance, or charges it when `seconds` is negative (never below zero). gate only sets balances, so the read and the write hold the user's balance lock: in this process, and across gateway processes sharing REDIS_URL.",
    args: { input: t.arg({ type: AddBalanceInput, required: true }) },
    resolve: (_root, { input }, context, info) =>
      performMutation(context, info, async (audit) => {
        const { username, seconds, idempotencyKey } = checkedInput(addBalanceInput, input);
        const dependencies = balanceDependencies(context);
        const topUp = () => addBalance(dependencies, username, seconds, audit);
        const token = idempotencyKey
          ? context.writeScope.replayable(await once(context.writes, {
              scope: 'addBalance',
              caller: context.caller.key,
              key: idempotencyKey,
              input: { username, seconds },
              work: topUp,
              settle: async (attempt) => {
                const { token, replayed } = await settleTopUp(dependencies, attempt as BalanceAttempt, username, seconds, audit);
                return { value: token, replayed };
              },
              // The AAA token string is not kept: a replay shows it as null.
              forStorage: (value) => ({ ...value, token: null }),
              audit,
            }))
          : await topUp();
        context.gate.wrote.token(token);
        return { token };
      }),
  }),
}));
