import type { Dataset } from '../../src/simulators/dataset.ts';

/** The gateway's clock: within a year of most simulated access tokens' creation, so some are usable and some expired. */
export const REPORT_CLOCK = Date.UTC(2025, 6, 1);

/** What the simulated upstreams hold of one organization, worked out from their dataset. */
export function expectedOrganization(dataset: Dataset, organization: string, now: number) {
  const members = dataset.gateUsers.filter((user) => user.organization === organization);
  const usernames = new Set(members.map((member) => member.username));
  const tokens = dataset.userTokens.filter((token) => token.organization === organization);
  const balanceOf = new Map(tokens.map((token) => [token.username, Math.trunc(token.balance_seconds)]));
  const usable = (token: { active: boolean; expires: string }) => token.active && Date.parse(`${token.expires}Z`) > now;
  const edgeOf = new Map(dataset.edgeUsers.map((account) => [account.username, account]));
  const activeTokens = members.flatMap((member) => (edgeOf.get(member.username)?.tokens ?? []).filter(usable).map((token) => ({ owner: member.username, edgeId: token.id })));
  const online = dataset.switchUsers.filter((user) => usernames.has(user.name) && user.is_online === 1).map((user) => user.name);
  return {
    members: members.map((member) => member.username),
    balanceOf,
    tokens: tokens.length,
    seconds: tokens.reduce((sum, token) => sum + Math.trunc(token.balance_seconds), 0),
    usage: tokens.reduce((sum, token) => sum + Math.trunc(token.totalUsageSeconds), 0),
    activeTokens,
    online,
  };
}
