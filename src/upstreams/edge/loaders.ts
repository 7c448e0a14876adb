import { loaderByKey, loaderByValue } from '../batching.ts';
import type { EdgeClient, EdgeUserFilter } from './client.ts';
import type { EdgeAccessToken, EdgeUser } from './types.ts';

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
  const accessTokens = loaderByKey(async (userId) => client.listAccessTokens(userId));
  const accessTokenById = loaderByValue(({ userId, tokenId }: EdgeTokenKey) => client.getAccessToken(userId, tokenId));
  return {
    /** What this request wrote (see gate's). */
    wrote: {
      user(user: EdgeUser) {
        userById.clear(user.id).prime(user.id, user);
        userByUsername.clear(user.username).prime(user.username, user);
      },
      userGone(user: EdgeUser) {
        userById.clear(user.id);
        userByUsername.clear(user.username);
        accessTokens.clear(user.id);
      },
      /** A token created, changed (`token`) or removed (`null`): the account's list is read again when next asked for. */
      accessToken(userId: string, tokenId: string, token: EdgeAccessToken | null) {
        accessTokens.clear(userId);
        accessTokenById.clear({ userId, tokenId });
        if (token) accessTokenById.prime({ userId, tokenId }, token);
      },
    },
    userById,
    userByUsername,
    users: loaderByValue(async (filter: EdgeUserFilter) => client.listUsers(filter, primeUsers)),
    accessTokens,
    accessTokenById,
    loginHistory: loaderByKey(async (userId) => client.listLoginHistory(userId)),
  };
}

export type EdgeLoaders = ReturnType<typeof createEdgeLoaders>;
