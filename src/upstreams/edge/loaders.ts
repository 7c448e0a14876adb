import { loaderByKey, loaderByValue } from '../batching.ts';
import type { EdgeClient, EdgeUserFilter } from './client.ts';
import type { EdgeUser } from './types.ts';

export interface EdgeTokenKey {
  userId: string;
  tokenId: string;
}

/**
 * edge cannot batch and its username filter is fuzzy: one search per distinct username, matched
 * exactly. Lists are read page by page, only as far as a query needs (their pages are reachable
 * only through `Link` headers), and shared by every field of the request that reads them.
 */
export function createEdgeLoaders(client: EdgeClient) {
  const userById = loaderByKey((id) => client.getUser(id));
  const primeUsers = (users: EdgeUser[]) => {
    for (const user of users) userById.prime(user.id, user);
  };
  const userByUsername = loaderByKey(async (username) => {
    const user = await client.findUserByUsername(username);
    if (user) userById.prime(user.id, user);
    return user;
  });
  return {
    userById,
    userByUsername,
    users: loaderByValue(async (filter: EdgeUserFilter) => client.listUsers(filter, primeUsers)),
    accessTokens: loaderByKey(async (userId) => client.listAccessTokens(userId)),
    accessTokenById: loaderByValue(({ userId, tokenId }: EdgeTokenKey) => client.getAccessToken(userId, tokenId)),
    loginHistory: loaderByKey(async (userId) => client.listLoginHistory(userId)),
  };
}

export type EdgeLoaders = ReturnType<typeof createEdgeLoaders>;
