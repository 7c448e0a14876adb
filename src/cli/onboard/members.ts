import type { GatewayClient } from './gateway-client.ts';
import { OnboardHolderDocument, OnboardMembersDocument, type OnboardMemberFragment } from './generated/graphql.ts';

export type Member = OnboardMemberFragment;

/** Small enough a page that its worst-case upstream calls stay within the gateway's MAX_UPSTREAM_CALLS. */
const MEMBERS_PAGE_SIZE = 50;

/** The gateway could not read what the plan needs: nothing can be compared. */
export class UnreadableMembers extends Error {
  override name = 'UnreadableMembers';
}

/**
 * Every person of the organization, with their records on gate and edge (and, when a row asks
 * for an access token, the titles of their access tokens), by username.
 */
export async function readMembers(client: GatewayClient, organization: string, withAccessTokens: boolean): Promise<Map<string, Member>> {
  const members = new Map<string, Member>();
  let after: string | null = null;
  do {
    const page = await membersPage(client, organization, after, withAccessTokens);
    for (const edge of page.edges) members.set(edge.node.username, edge.node);
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  } while (after);
  return members;
}

async function membersPage(client: GatewayClient, organization: string, after: string | null, withAccessTokens: boolean) {
  const { data, errors } = await client.run(
    OnboardMembersDocument,
    { organization, first: MEMBERS_PAGE_SIZE, after, withAccessTokens },
    { label: `the members of ${organization}`, repeatable: true },
  );
  if (errors.length || !data.users) throw new UnreadableMembers(`the members of ${organization} could not be read: ${errors.map((error) => error.message).join('; ')}`);
  return data.users;
}

/** The gate user with this username, and their organization: null when gate has none (or none this client may see). */
export async function holderOf(client: GatewayClient, username: string): Promise<{ organization: string | null } | null> {
  const { data, errors } = await client.run(OnboardHolderDocument, { username }, { label: `who holds ${username}`, repeatable: true });
  if (errors.length) throw new UnreadableMembers(`who holds ${username} could not be read: ${errors.map((error) => error.message).join('; ')}`);
  return data.user && { organization: data.user.organization };
}
