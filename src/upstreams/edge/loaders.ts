import { loaderByKey, loaderByValue, loaderWatcher, type LoaderBatchObserver } from '../batching.ts';
import { PagedList, type PositionedList } from '../paging.ts';
import type { Membership } from '../tenancy.ts';
import type { EdgeClient, EdgeUserFilter } from './client.ts';
import type { EdgeAccessToken, EdgeLoginAttempt, EdgeUser } from './types.ts';

export interface EdgeTokenKey {
  userId: string;
  tokenId: string;
}

/**
 * edge cannot batch and its username filter is fuzzy: one search per distinct username, matched
 * exactly. Lists are read only as far as a query needs, in as few rounds as their `Link` headers
 * allow (see `EdgeList`), and shared by every field of the request that reads them.
 *
 * With a `membership` (a request bound to an organization) an account is there only when gate's
 * user of its username belongs to the organization; so are its access tokens and login history.
 * edge cannot filter by organization: its user list is filtered here, page by page.
 */
export function createEdgeLoaders(client: EdgeClient, membership: Membership | undefined, onBatch?: LoaderBatchObserver) {
  const watch = loaderWatcher(onBatch);
  const sees = async (username: string) => membership === undefined || membership.hasUsername(username);
  const userById = loaderByKey(async (id) => {
    const user = await client.getUser(id);
    return user && (await sees(user.username)) ? user : null;
  }, watch('edge.userById'));
  const primeUsers = (users: readonly EdgeUser[]) => {
    for (const user of users) userById.prime(user.id, user);
  };
  const userByUsername = loaderByKey(async (username) => {
    if (!(await sees(username))) return null;
    const user = await client.findUserByUsername(username);
    if (user) userById.prime(user.id, user);
    return user;
  }, watch('edge.userByUsername'));
  const users = (filter: EdgeUserFilter): PositionedList<EdgeUser> => {
    if (membership === undefined) return client.listUsers(filter, primeUsers);
    return PagedList.filtered(client.listUsers(filter), async (page) => {
      const { usernames } = await membership.everyone();
      const mine = page.filter((user) => usernames.has(user.username));
      primeUsers(mine);
      return mine;
    });
  };
  /** Whether the account is this request's to see; `admin` sees every one without asking. */
  const seesAccount = async (userId: string) => membership === undefined || (await userById.load(userId)) !== null;
  const accessTokens = loaderByKey(
    async (userId): Promise<PositionedList<EdgeAccessToken>> => ((await seesAccount(userId)) ? client.listAccessTokens(userId) : PagedList.of<EdgeAccessToken>([])),
    watch('edge.accessTokens'),
  );
  const accessTokenById = loaderByValue(
    async ({ userId, tokenId }: EdgeTokenKey) => ((await seesAccount(userId)) ? client.getAccessToken(userId, tokenId) : null),
    watch('edge.accessTokenById'),
  );
  const loginHistory = loaderByKey(
    async (userId): Promise<PositionedList<EdgeLoginAttempt>> => ((await seesAccount(userId)) ? client.listLoginHistory(userId) : PagedList.of<EdgeLoginAttempt>([])),
    watch('edge.loginHistory'),
  );
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
    users: loaderByValue(async (filter: EdgeUserFilter) => users(filter), watch('edge.users')),
    accessTokens,
    accessTokenById,
    loginHistory,
  };
}

export type EdgeLoaders = ReturnType<typeof createEdgeLoaders>;
