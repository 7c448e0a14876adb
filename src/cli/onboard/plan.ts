import { isDeepStrictEqual } from 'node:util';
import type {
  CreateAccessTokenInput,
  CreateEdgeUserInput,
  CreateExtraInput,
  CreateTokenInput,
  ReplaceExtraInput,
  UpdateEdgeUserInput,
  UpdateTokenInput,
  UpdateUserInput,
} from '../generated/graphql.ts';
import type { Member } from './members.ts';
import type { InvalidRow, ValidRow } from './rows.ts';

/** One write that brings an existing person to what their row says. */
export type Step =
  | { mutation: 'updateUser'; input: UpdateUserInput }
  | { mutation: 'createToken'; input: CreateTokenInput }
  | { mutation: 'updateToken'; input: UpdateTokenInput }
  | { mutation: 'createExtra'; input: CreateExtraInput }
  | { mutation: 'replaceExtra'; input: ReplaceExtraInput }
  /** Its password is the row's: from the file, or generated (a secret, then). */
  | { mutation: 'createEdgeUser'; input: Omit<CreateEdgeUserInput, 'password'> }
  | { mutation: 'updateEdgeUser'; input: UpdateEdgeUserInput }
  | { mutation: 'createAccessToken'; input: CreateAccessTokenInput };

export type RowPlan =
  | { action: 'create'; row: ValidRow }
  /** `fields`: what differs, by column (`email`, `edge.memberships`), or the record that is missing (`token`). */
  | { action: 'change'; row: ValidRow; fields: string[]; steps: Step[] }
  | { action: 'unchanged'; row: ValidRow }
  | { action: 'conflict'; row: ValidRow; reason: string };

export interface Plan {
  organization: string;
  /** The organization has no member yet. */
  newOrganization: boolean;
  rows: RowPlan[];
  invalid: InvalidRow[];
  /** The members the file no longer lists (only asked for with `--prune`). */
  removals: string[];
}

/** Whether the row gives a value, and the upstream holds another. */
const differs = (wanted: unknown, held: unknown) => wanted !== undefined && wanted !== null && !isDeepStrictEqual(wanted, held);
const sorted = (list: readonly string[] | null | undefined) => (list ? [...list].sort() : list);

/** The fields of `wanted` whose values differ from what `held` has, as changes. */
function changesOf<W extends object, K extends keyof W & string>(wanted: W, held: Partial<Record<K, unknown>>, keys: readonly K[]): Partial<Pick<W, K>> {
  return Object.fromEntries(keys.filter((key) => differs(wanted[key], held[key])).map((key) => [key, wanted[key]])) as Partial<Pick<W, K>>;
}

/**
 * What it takes to make an existing person what their row says: a field left empty on the row is
 * not compared, the password cannot be (it is never shown), and `initialBalanceSeconds` is what a
 * new person starts with, never a balance to reset. A record the row implies and the person lacks
 * (a user token, a user extra, an edge account, an access token of the row's title) is made.
 */
export function differencesOf(row: ValidRow, member: Member): { fields: string[]; steps: Step[] } {
  const { input } = row;
  const { username } = input;
  const fields = new Set<string>();
  const steps: Step[] = [];
  // By column: an email that differs on gate and on edge is one difference, `email`.
  const note = (changes: Record<string, unknown>) => Object.keys(changes).forEach((key) => fields.add(key === 'memberships' ? 'edge.memberships' : key));

  const userChanges = changesOf(input, member, ['email', 'firstName', 'lastName', 'role'] as const);
  note(userChanges);
  if (Object.keys(userChanges).length) steps.push({ mutation: 'updateUser', input: { username, changes: userChanges } });

  const tokenFields = ['email', 'isActive', 'accessLevel', 'maxSessions'] as const;
  if (!member.token) {
    fields.add('token');
    const { email, organization, initialBalanceSeconds, isActive, accessLevel, maxSessions } = input;
    steps.push({ mutation: 'createToken', input: { username, email, organization, initialBalanceSeconds, isActive, accessLevel, maxSessions } });
  } else {
    const tokenChanges = changesOf(input, member.token, tokenFields);
    note(tokenChanges);
    if (Object.keys(tokenChanges).length) steps.push({ mutation: 'updateToken', input: { username, changes: tokenChanges } });
  }

  if (!member.extra) {
    fields.add('extra');
    steps.push({ mutation: 'createExtra', input: { username, preferences: input.preferences, customFields: input.customFields } });
  } else {
    const extraChanges = changesOf(input, member.extra, ['preferences', 'customFields'] as const);
    note(extraChanges);
    if (Object.keys(extraChanges).length) {
      // Replaced as a whole: a key the file no longer has goes. What the file does not give stays.
      const { preferences, customFields, organizationId } = member.extra;
      steps.push({ mutation: 'replaceExtra', input: { username, extra: { preferences, customFields, organizationId, ...extraChanges } } });
    }
  }

  if (input.edge) {
    const { memberships, accessTokenTitle } = input.edge;
    const account = member.edgeAccount;
    if (!account) {
      fields.add('edge');
      const { email, firstName, lastName, organization, isActive } = input;
      // provisionUser's rules require both names of a row with `edge`: a valid row has them.
      steps.push({ mutation: 'createEdgeUser', input: { username, email, firstName: firstName as string, lastName: lastName as string, organization, isActive, memberships } });
    } else {
      const edgeChanges = changesOf(
        { ...input, memberships: sorted(memberships) },
        { ...account, memberships: sorted(account.memberships) },
        ['email', 'firstName', 'lastName', 'isActive', 'memberships'] as const,
      );
      note(edgeChanges);
      if (edgeChanges.memberships) edgeChanges.memberships = memberships;
      if (Object.keys(edgeChanges).length) steps.push({ mutation: 'updateEdgeUser', input: { username, changes: edgeChanges } });
    }
    const titles = account?.accessTokens?.edges.filter(({ node }) => node.active !== false).map(({ node }) => node.title);
    if (accessTokenTitle && !titles?.includes(accessTokenTitle)) {
      fields.add('edge.accessTokenTitle');
      steps.push({ mutation: 'createAccessToken', input: { username, title: accessTokenTitle } });
    }
  }
  return { fields: [...fields], steps };
}

/**
 * The plan for a checked file: each valid row created, changed, left as it is, or in conflict (its
 * username held in another organization, by `holders`, the gate users of the usernames that are no
 * member's); and, with `prune`, the members no row of the file names.
 */
export function planOf(options: {
  organization: string;
  valid: readonly ValidRow[];
  invalid: InvalidRow[];
  members: ReadonlyMap<string, Member>;
  holders: ReadonlyMap<string, { organization: string | null } | null>;
  /** Every username the file names, valid row or not: none of them is removed. */
  named: ReadonlySet<string>;
  prune: boolean;
}): Plan {
  const { organization, members, holders } = options;
  const rows = options.valid.map((row): RowPlan => {
    const member = members.get(row.input.username);
    if (member) {
      const { fields, steps } = differencesOf(row, member);
      return steps.length ? { action: 'change', row, fields, steps } : { action: 'unchanged', row };
    }
    const holder = holders.get(row.input.username);
    if (holder && holder.organization !== organization) {
      const where = holder.organization === null ? 'a gate user of no organization' : `organization "${holder.organization}"`;
      return { action: 'conflict', row, reason: `username is held by ${where}` };
    }
    return { action: 'create', row };
  });
  const removals = options.prune ? [...members.keys()].filter((username) => !options.named.has(username)).sort() : [];
  return { organization, newOrganization: members.size === 0, rows, invalid: options.invalid, removals };
}
