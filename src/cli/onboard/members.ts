import { OnboardHolderDocument, OnboardMembersDocument, type OnboardMemberFragment } from '../generated/graphql.ts';
import { CliFailure, EXIT, type GatewayClient } from '../gateway-client.ts';

export type Member = OnboardMemberFragment;

/** Small enough a page that its worst-case upstream calls stay within the gateway's MAX_UPSTREAM_CALLS. */
const MEMBERS_PAGE_SIZE = 50;

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
  const label = `the members of ${organization}`;
  const { users } = await client.request(OnboardMembersDocument, { organization, first: MEMBERS_PAGE_SIZE, after, withAccessTokens }, { label, repeatable: true });
  if (!users) throw new CliFailure(`${label}: the gateway could not read them`, EXIT.failed);
  return users;
}

/** The gate user with this username, and their organization: null when gate has none (or none this client may see). */
export async function holderOf(client: GatewayClient, username: string): Promise<{ organization: string | null } | null> {
  const { user } = await client.request(OnboardHolderDocument, { username }, { label: `who holds ${username}`, repeatable: true });
  return user && { organization: user.organization };
}
