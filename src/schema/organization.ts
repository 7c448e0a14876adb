import type { EdgeAccessToken } from '../upstreams/edge/types.ts';
import type { GateUser, GateUserToken } from '../upstreams/gate/types.ts';
import { PagedList, windowOf, type PageReader } from '../upstreams/paging.ts';
import { served, type Checked } from '../upstreams/validation.ts';
import { AccessTokenConnectionRef, AccessTokenRef, type AccessTokenShape } from './access-token.ts';
import { humanDuration } from './balance.ts';
import { builder } from './builder.ts';
import type { GatewayContext } from './context.ts';
import { requiredNameInput } from './inputs.ts';
import { connectionDescription, countedListReader, itself, pagedListReader, resolveConnection } from './pagination.ts';
import { IDENTIFIES_RECORD } from './read-scope.ts';
import { SwitchUserConnectionRef, SwitchUserRef } from './switch-user.ts';
import { UserConnectionRef, UserRef } from './user.ts';

/** An organization gate files users under (gate has no record of its own for one), and how many. */
interface OrganizationShape {
  name: string;
  memberCount: number;
}

export const OrganizationRef = builder.objectRef<OrganizationShape>('Organization');

/** The code switch's `is_online` gives a user that is online, unless a query names another. */
const ONLINE_CODE = 1;

/** How many members' edge accounts are read at once for `activeAccessTokens`: one gate page of them. */
const MEMBERS_READ_TOGETHER = 100;

/** A sum of second counts; one that gate sent and cannot be served fails the sum (a total that leaves it out would be wrong). */
function sumSeconds(values: readonly (Checked<number> | null)[]): number {
  return values.reduce<number>((total, value) => total + (value === null ? 0 : served(value)), 0);
}

const BalanceTotalsRef = builder.objectRef<{ tokens: readonly GateUserToken[] }>('OrganizationBalanceTotals').implement({
  description: 'The time balances of the user tokens gate files under an organization, added up (read with `balance=true`).',
  fields: (t) => ({
    tokens: t.int({ description: 'How many user tokens gate files under the organization.', resolve: ({ tokens }) => tokens.length }),
    seconds: t.field({
      type: 'SafeInt',
      description: 'Their remaining time together, in whole seconds; a token whose balance gate does not send adds nothing.',
      resolve: ({ tokens }) => sumSeconds(tokens.map((token) => token.balanceSeconds)),
    }),
    totalUsageSeconds: t.field({
      type: 'SafeInt',
      description: 'Their time used so far together, in whole seconds.',
      resolve: ({ tokens }) => sumSeconds(tokens.map((token) => token.totalUsageSeconds)),
    }),
    humanReadable: t.string({
      description: 'The remaining time together for people, e.g. `12d 3h 4m`.',
      resolve: ({ tokens }) => humanDuration(sumSeconds(tokens.map((token) => token.balanceSeconds))),
    }),
  }),
});

/** A list held whole, served by position. */
const heldList = <T>(items: readonly T[]) => countedListReader(async (window) => windowOf(items, window));

/** The members whose user token (filed under the organization) has less than `seconds` left: the lowest first, then in gate's order. */
async function membersBelow(context: GatewayContext, organization: string, seconds: number): Promise<GateUser[]> {
  const [members, tokens] = await Promise.all([context.gate.members.load(organization), context.gate.organizationTokens.load(organization)]);
  const balanceOf = new Map<string, number>();
  for (const token of tokens) {
    if (token.balanceSeconds !== null) balanceOf.set(token.username, served(token.balanceSeconds));
  }
  const below = members.flatMap((member) => {
    const balance = balanceOf.get(member.username);
    return balance !== undefined && balance < seconds ? [{ member, balance }] : [];
  });
  return below.sort((a, b) => a.balance - b.balance).map(({ member }) => member);
}

/** Whether edge would take the token now: active, and not past its expiry. */
function usableAt(token: EdgeAccessToken, now: number): boolean {
  if (token.active !== true) return false;
  return token.expiresAt === null || served(token.expiresAt).getTime() > now;
}

/** A member's usable edge access tokens: none without an edge account. */
async function activeTokensOf(context: GatewayContext, username: string, now: number): Promise<AccessTokenShape[]> {
  const account = await context.edge.userByUsername.load(username);
  if (!account) return [];
  const tokens = await (await context.edge.accessTokens.load(account.id)).all();
  return tokens.filter((token) => usableAt(token, now)).map((token) => ({ ...token, userId: account.id }));
}

/**
 * The members' usable access tokens, in gate's order of the members and edge's of each one's
 * tokens: read a batch of members at a time, only as far as the page asked for needs.
 */
function activeTokensList(context: GatewayContext, members: readonly GateUser[]): PagedList<AccessTokenShape> {
  // The expiry is judged by the gateway's clock, injected so that tests move time instead of waiting.
  const now = context.writes.now();
  const readFrom = (start: number): PageReader<AccessTokenShape> => async () => {
    const batch = members.slice(start, start + MEMBERS_READ_TOGETHER);
    const tokens = await Promise.all(batch.map((member) => activeTokensOf(context, member.username, now)));
    const next = start + MEMBERS_READ_TOGETHER;
    return { items: tokens.flat(), next: next < members.length ? readFrom(next) : undefined };
  };
  return new PagedList(members.length > 0 ? readFrom(0) : undefined);
}

builder.objectType(OrganizationRef, {
  description:
    'An organization, as gate files its users under it (`User.organization`): known once gate has a member of it. Its members are those gate users; their edge and switch accounts are those of the same usernames.',
  // What is read beyond the name and count is nullable: when an upstream fails, the rest of the answer stands.
  fields: (t) => ({
    name: t.exposeString('name', { description: "The organization's name, exactly as gate has it.", extensions: IDENTIFIES_RECORD }),
    memberCount: t.exposeInt('memberCount', { description: 'How many gate users it has.' }),
    members: t.connection(
      {
        type: UserRef,
        nullable: true,
        description: `Its gate users, in gate's order. ${connectionDescription}`,
        resolve: (organization, args, context) =>
          resolveConnection(args, countedListReader((window) => context.gate.users.load({ filter: { organization: organization.name }, window }))),
      },
      UserConnectionRef,
    ),
    balanceTotals: t.field({
      type: BalanceTotalsRef,
      nullable: true,
      description: 'The balances of the user tokens gate files under it, added up.',
      resolve: async (organization, _args, context) => ({ tokens: await context.gate.organizationTokens.load(organization.name) }),
    }),
    membersBelowBalance: t.connection(
      {
        type: UserRef,
        nullable: true,
        description: `The members whose user token (filed under the organization) has less than \`seconds\` left, the lowest balance first; members without one are not among them. ${connectionDescription}`,
        args: { seconds: t.arg.int({ required: true, description: 'The balance, in seconds, that members are below.' }) },
        resolve: async (organization, { seconds, ...args }, context) => resolveConnection(args, heldList(await membersBelow(context, organization.name, seconds))),
      },
      UserConnectionRef,
    ),
    activeAccessTokens: t.connection(
      {
        type: AccessTokenRef,
        nullable: true,
        description: `The members' edge access tokens that are active and not expired, member by member in gate's order. Reads each member's edge account, a hundred members at a time, only as far as the page needs (\`totalCount\` and \`last\` read them all). ${connectionDescription}`,
        resolve: async (organization, args, context) => {
          const members = await context.gate.members.load(organization.name);
          return resolveConnection(args, pagedListReader(activeTokensList(context, members), itself));
        },
      },
      AccessTokenConnectionRef,
    ),
    onlineSwitchUsers: t.connection(
      {
        type: SwitchUserRef,
        nullable: true,
        description: `The members' switch users that are online now, in switch's order. ${connectionDescription}`,
        args: {
          isOnline: t.arg.int({
            defaultValue: ONLINE_CODE,
            description: `The \`isOnline\` code switch gives a user that is online (its docs name none; ${ONLINE_CODE} unless this switch uses another).`,
          }),
        },
        resolve: async (organization, { isOnline, ...args }, context) => {
          const code = isOnline ?? ONLINE_CODE;
          const [members, online] = await Promise.all([
            context.gate.members.load(organization.name),
            context.switch.everyUser.load({ filter: { isOnline: code }, order: undefined }),
          ]);
          const usernames = new Set(members.map((member) => member.username));
          return resolveConnection(args, heldList(online.filter((user) => usernames.has(user.name) && user.isOnline === code)));
        },
      },
      SwitchUserConnectionRef,
    ),
  }),
});

builder.queryFields((t) => ({
  organizations: t.field({
    type: [OrganizationRef],
    nullable: true,
    description:
      'Every organization gate has members of, by name (as sorted by code point), with its member count; read from the whole user list. A client bound to an organization sees its own alone.',
    resolve: (_root, _args, context) => context.gate.organizations.get(),
  }),
  organization: t.field({
    type: OrganizationRef,
    nullable: true,
    description: 'The organization of exactly this name, or null when gate has no member of it (or it is not this client’s).',
    args: { name: t.arg.string({ required: true, validate: requiredNameInput }) },
    resolve: async (_root, { name }, context) => {
      const { total } = await context.gate.users.load({ filter: { organization: name }, window: { offset: 0, limit: 0 } });
      return total > 0 ? { name, memberCount: total } : null;
    },
  }),
}));
