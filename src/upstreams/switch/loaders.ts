import { forgetfulLoader, loaderByKey, loaderByValue } from '../batching.ts';
import type { ListWindow } from '../paging.ts';
import { SWITCH_PAGE_SIZE, type SwitchClient, type SwitchUserFilter, type SwitchUserOrder } from './client.ts';
import type { SwitchUser } from './types.ts';

export interface SwitchListRead {
  filter: SwitchUserFilter;
  order: SwitchUserOrder | undefined;
  window: ListWindow;
}

/** Lookups by id are batched into one `user_id_in` request; names are searched one by one. */
export function createSwitchLoaders(client: SwitchClient) {
  const userById = forgetfulLoader<number, SwitchUser | null>(
    async (ids) => {
      const users = await client.getUsersByIds(ids);
      const byId = new Map(users.map((user) => [user.userId, user]));
      return ids.map((id) => byId.get(id) ?? null);
    },
    { maxBatchSize: SWITCH_PAGE_SIZE },
  );
  const primeUser = (user: SwitchUser) => userById.prime(user.userId, user);
  const userByName = loaderByKey(async (name) => {
    const user = await client.findUserByName(name);
    if (user) primeUser(user);
    return user;
  });
  const users = loaderByValue(async ({ filter, order, window }: SwitchListRead) => {
    const page = await client.listUsers(filter, order, window);
    page.items.forEach(primeUser);
    return page;
  });
  return { userById, userByName, users };
}

export type SwitchLoaders = ReturnType<typeof createSwitchLoaders>;
