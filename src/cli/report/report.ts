import { stringify } from 'csv-stringify/sync';
import { closestOrganization } from '../../provisioning/organizations.ts';
import {
  ReportAccessTokensDocument,
  ReportMembersDocument,
  ReportOnlineSwitchUsersDocument,
  ReportOrganizationsDocument,
  type ReportMembersQuery,
} from '../generated/graphql.ts';
import { CliFailure, EXIT, type GatewayClient, type RequestOptions } from '../gateway-client.ts';

/** One line of the report: a member of the organization. */
export interface ReportRow {
  username: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  role: string | null;
  /** The remaining time of their gate user token; null without one. */
  balanceSeconds: number | null;
  /** Their edge access tokens that are active and not expired. */
  activeAccessTokens: number;
  /** Whether their switch user is online now. */
  switchOnline: boolean;
}

/** The report's columns, in order: its header. */
export const REPORT_COLUMNS = ['username', 'email', 'firstName', 'lastName', 'role', 'balanceSeconds', 'activeAccessTokens', 'switchOnline'] as const satisfies readonly (keyof ReportRow)[];

// Page sizes that keep each request well within the gateway's default MAX_UPSTREAM_CALLS (1000):
// a member's balance is a lookup each; each access token's owner is counted as one.
const MEMBERS_PAGE = 100;
const TOKENS_PAGE = 200;
const SWITCH_PAGE = 500;

interface Page<T> {
  items: T[];
  endCursor: string | null;
  hasNextPage: boolean;
}

/** Every item of a connection, page after page; `read` answers null when the organization is not there. */
async function everyItem<T>(read: (after: string | null) => Promise<Page<T> | null>): Promise<T[] | null> {
  const items: T[] = [];
  let after: string | null = null;
  for (;;) {
    const page: Page<T> | null = await read(after);
    if (!page) return null;
    items.push(...page.items);
    if (!page.hasNextPage || page.endCursor === null) return items;
    after = page.endCursor;
  }
}

/** A connection's page as `everyItem` reads it; a connection the gateway could not read fails the report. */
function pageOf<N, T>(
  connection: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: N }[] } | null,
  what: string,
  item: (node: N) => T,
): Page<T> {
  if (!connection) throw new CliFailure(`the gateway could not read the organization's ${what}`, EXIT.failed);
  return { items: connection.edges.map((edge) => item(edge.node)), ...connection.pageInfo };
}

/** Every request of the report is a read: sending it again after no answer came does no harm. */
const read = (label: string): RequestOptions => ({ label, repeatable: true });

type Member = NonNullable<NonNullable<ReportMembersQuery['organization']>['members']>['edges'][number]['node'];

/** The failure for an organization gate has no member of, naming the closest one this client may see. */
async function unknownOrganization(client: GatewayClient, organization: string): Promise<CliFailure> {
  const { organizations } = await client.request(ReportOrganizationsDocument, {}, read('the organizations'));
  const closest = closestOrganization(organization, organizations ?? []);
  const suggestion = closest === undefined ? '' : `; did you mean ${JSON.stringify(closest)}?`;
  return new CliFailure(`gate has no member of organization ${JSON.stringify(organization)}${suggestion}`, EXIT.notFound);
}

/**
 * The members of an organization with their balance, their usable edge access tokens and whether
 * their switch user is online, in gate's order of the members: read from a running gateway.
 */
export async function organizationReport(client: GatewayClient, organization: string): Promise<ReportRow[]> {
  const members = await everyItem<Member>(async (after) => {
    const { organization: found } = await client.request(ReportMembersDocument, { organization, first: MEMBERS_PAGE, after }, read(`the members of ${organization}`));
    return found && pageOf(found.members, 'members', (node) => node);
  });
  if (!members) throw await unknownOrganization(client, organization);
  const [owners, online] = await Promise.all([
    everyItem(async (after) => {
      const { organization: found } = await client.request(ReportAccessTokensDocument, { organization, first: TOKENS_PAGE, after }, read(`the access tokens of ${organization}`));
      return found && pageOf(found.activeAccessTokens, 'access tokens', (node) => node.owner?.username);
    }),
    everyItem(async (after) => {
      const { organization: found } = await client.request(ReportOnlineSwitchUsersDocument, { organization, first: SWITCH_PAGE, after }, read(`the online switch users of ${organization}`));
      return found && pageOf(found.onlineSwitchUsers, 'switch users', (node) => node.name);
    }),
  ]);
  const tokensOf = new Map<string, number>();
  for (const owner of owners ?? []) {
    if (owner !== undefined) tokensOf.set(owner, (tokensOf.get(owner) ?? 0) + 1);
  }
  const onlineNames = new Set(online ?? []);
  return members.map((member) => ({
    username: member.username,
    email: member.email,
    firstName: member.firstName,
    lastName: member.lastName,
    role: member.role,
    balanceSeconds: member.balance?.seconds ?? null,
    activeAccessTokens: tokensOf.get(member.username) ?? 0,
    switchOnline: onlineNames.has(member.username),
  }));
}

/** The report as CSV (RFC 4180): a header, then one line per member; what is missing is an empty field. */
export function reportCsv(rows: readonly ReportRow[]): string {
  return stringify(
    rows.map((row) => REPORT_COLUMNS.map((column) => row[column])),
    { header: true, columns: [...REPORT_COLUMNS], cast: { boolean: (value) => String(value) } },
  );
}
