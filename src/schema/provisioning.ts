import { z } from 'zod';
import { deprovisionUser } from '../provisioning/deprovision-user.ts';
import { once } from '../provisioning/idempotency.ts';
import { personLock, withLocks } from '../provisioning/locks.ts';
import { requireKnownOrganization, type KnownOrganizations } from '../provisioning/organizations.ts';
import { provisionUser, settleProvisioning, type ProvisionedPerson, type ProvisioningAttempt, type ProvisioningServices } from '../provisioning/provision-user.ts';
import { CreatedAccessTokenRef } from './access-token.ts';
import { builder } from './builder.ts';
import type { GatewayContext } from './context.ts';
import { EdgeUserRef } from './edge-user.ts';
import { ExtraRef } from './extra.ts';
import { usernameInput } from './inputs.ts';
import { newPerson } from './new-person.ts';
import {
  checkedInput,
  ConflictError,
  DeadlineTooShort,
  IdempotencyKeyBusy,
  IdempotencyKeyReused,
  mutationResult,
  NotFoundError,
  payloadType,
  performMutation,
  ProvisioningFailed,
  ValidationError,
  writeFailures,
} from './results.ts';
import { TokenRef } from './token.ts';
import { UserRef } from './user.ts';

const ProvisionEdgeInput = builder.inputType('ProvisionEdgeInput', {
  description: 'Also create the person on edge (edge requires `firstName` and `lastName` then).',
  fields: (t) => ({
    memberships: t.stringList(),
    accessTokenTitle: t.string({ description: 'Also create a first API access token of this title; its plaintext is in the answer, once.' }),
  }),
});

const ProvisionUserInput = builder.inputType('ProvisionUserInput', {
  description: 'A person to create on every upstream at once, all or nothing.',
  fields: (t) => ({
    idempotencyKey: t.string({
      required: true,
      description: 'The same key with the same input answers the first result without writing again, for 24 h; with another input, IdempotencyKeyReused.',
    }),
    username: t.string({ required: true }),
    email: t.string({ required: true }),
    password: t.string({ required: true, description: 'At least 8 characters; set on gate (and edge), never shown again.' }),
    organization: t.string({
      required: true,
      description: 'An organization gate has members of; a new one only with `newOrganization` (else a ValidationError names the closest known one).',
    }),
    newOrganization: t.boolean({
      description: 'Set when the organization has no member yet: the person is its first. Harmless when it has members (a rerun). Not part of what the idempotency key compares.',
    }),
    firstName: t.string(),
    lastName: t.string(),
    role: t.string(),
    isActive: t.boolean(),
    initialBalanceSeconds: t.int(),
    accessLevel: t.string(),
    maxSessions: t.int(),
    preferences: t.field({ type: 'JSON', description: 'A JSON object, for the user extra.' }),
    customFields: t.field({ type: 'JSON', description: 'A JSON object, for the user extra.' }),
    edge: t.field({ type: ProvisionEdgeInput }),
  }),
});

const ProvisionUserPayload = payloadType<ProvisionedPerson>('ProvisionUserPayload', 'The person, as every upstream now has them.', (t) => ({
  user: t.field({ type: UserRef, resolve: ({ user }) => user }),
  token: t.field({ type: TokenRef, resolve: ({ token }) => token }),
  extra: t.field({ type: ExtraRef, resolve: ({ extra }) => extra }),
  edgeAccount: t.field({ type: EdgeUserRef, nullable: true, resolve: ({ edgeAccount }) => edgeAccount }),
  accessToken: t.field({ type: CreatedAccessTokenRef, nullable: true, resolve: ({ accessToken }) => accessToken }),
}));

const ProvisionUserResult = mutationResult('ProvisionUserResult', ProvisionUserPayload, [
  ValidationError,
  ConflictError,
  ...writeFailures,
  ProvisioningFailed,
  IdempotencyKeyReused,
  IdempotencyKeyBusy,
  DeadlineTooShort,
]);

const DeprovisionUserInput = builder.inputType('DeprovisionUserInput', {
  fields: (t) => ({ username: t.string({ required: true }) }),
});

const DeprovisionUserResult = mutationResult(
  'DeprovisionUserResult',
  payloadType<{ username: string; removed: string[] }>('DeprovisionUserPayload', 'Who was removed, and which records, in order.', (t) => ({
    username: t.exposeString('username'),
    removed: t.exposeStringList('removed', { description: 'The records removed: `gate.userToken`, `edge.accessToken`, `edge.user`, `gate.userExtra`, `gate.user`.' }),
  })),
  [ValidationError, NotFoundError, ConflictError, ...writeFailures, ProvisioningFailed],
);

/** Whether gate has members of an organization (read fresh), and the organizations this writer may see. */
const knownOrganizations = (context: GatewayContext): KnownOrganizations => ({
  hasMembers: async (name) => (await context.clients.gate.listUsers({ organization: name }, { offset: 0, limit: 0 })).total > 0,
  all: () => context.gate.organizations.get(),
});

/** Lets later fields of the request see the person as written. */
function rememberPerson(context: GatewayContext, person: ProvisionedPerson): void {
  context.gate.wrote.user(person.user);
  context.gate.wrote.token(person.token);
  context.gate.wrote.extra(person.extra);
  if (person.edgeAccount) context.edge.wrote.user(person.edgeAccount);
  if (person.accessToken) context.edge.wrote.accessToken(person.accessToken.token.userId, person.accessToken.token.id, person.accessToken.token);
}

builder.mutationFields((t) => ({
  provisionUser: t.field({
    type: ProvisionUserResult,
    description:
      'Creates a person everywhere, all or nothing: the gate user, its user token with the initial balance, its user extra, and with `edge` the edge user and a first access token. A username held on any upstream (gate, edge or switch, with `edge` or without) is a ConflictError naming them, before anything is written. A step that fails undoes those done before it (ProvisioningFailed).',
    args: { input: t.arg({ type: ProvisionUserInput, required: true }) },
    resolve: (_root, { input }, context, info) =>
      performMutation(context, info, async (audit) => {
        const { idempotencyKey, newOrganization, ...person } = checkedInput(newPerson, input);
        context.writeScope.checkOrganization(person.organization, 'organization');
        const services: ProvisioningServices = context.writes;
        const value = await once(context.writes, {
          scope: 'provisionUser',
          caller: context.caller.key,
          key: idempotencyKey,
          input: person,
          // A replay answers as the first run did; a refused organization leaves the key free (the flag is not in `input`).
          work: async () => {
            await requireKnownOrganization(knownOrganizations(context), person.organization, newOrganization === true);
            return provisionUser(context.clients, services, person, audit);
          },
          settle: async (attempt) => ({
            value: await settleProvisioning(context.clients, services, attempt as ProvisioningAttempt, person, audit),
            replayed: false,
          }),
          audit,
          // Stored for replays without any secret: the token's plaintext, the AAA token string.
          forStorage: (provisioned) => ({
            ...provisioned,
            token: { ...provisioned.token, token: null },
            accessToken: provisioned.accessToken && { ...provisioned.accessToken, plaintext: null },
          }),
        });
        context.writeScope.replayable(value.user);
        rememberPerson(context, value);
        return value;
      }),
  }),
  deprovisionUser: t.field({
    type: DeprovisionUserResult,
    description:
      'Removes a person from every upstream where they exist (switch is read-only: its account stays, and keeps the username taken; only admin sees it and can link it again). The user token goes first: while it has active sessions gate refuses, and nothing is removed (ConflictError).',
    args: { input: t.arg({ type: DeprovisionUserInput, required: true }) },
    resolve: (_root, { input }, context, info) =>
      performMutation(context, info, async (audit) => {
        const { username } = checkedInput(z.object({ username: usernameInput }), input);
        // Under the person's lock: no create or rename through the gateway meets a person half removed.
        const removed = await withLocks(context.writes, [personLock(username)], () => deprovisionUser(context.clients, context.writeScope, username, audit));
        context.gate.wrote.userGone({ username });
        return { username, removed };
      }),
  }),
}));
