import { loaderByKey, loaderByValue } from '../batching.ts';
import type { EdgeClient, EdgeUserFilter } from './client.ts';
import type { EdgeUser } from './types.ts';

export interface EdgeTokenKey {
  userId: string;
  tokenId: string;
}

/**
 * edge cannot batch and its username filter is fuzzy: one search per distinct username, matched
 * exactly; lists are read whole (their pages are only reachable through `Link` headers).
 */
export function createEdgeLoaders(client: EdgeClient) {
  const userById = loaderByKey((id) => client.getUser(id));
  const primeUser = (user: EdgeUser) => userById.prime(user.id, user);
  const userByUsername = loaderByKey(async (username) => {
    const user = await client.findUserByUsername(username);
    if (user) primeUser(user);
    return user;
  });
  const users = loaderByValue(async (filter: EdgeUserFilter) => {
    const list = await client.listUsers(filter);
    list.forEach(primeUser);
    return list;
  });
  const accessTokens = loaderByKey((userId) => client.listAccessTokens(userId));
  const accessTokenById = loaderByValue(({ userId, tokenId }: EdgeTokenKey) => client.getAccessToken(userId, tokenId));
  const loginHistory = loaderByKey((userId) => client.listLoginHistory(userId));

  return { userById, userByUsername, users, accessTokens, accessTokenById, loginHistory };
}

export type EdgeLoaders = ReturnType<typeof createEdgeLoaders>;
