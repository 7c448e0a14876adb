import { ENDS_CHAIN, forgetfulLoader, loaderByKey, loaderByValue, loaderWatcher, type LoaderBatchObserver } from '../batching.ts';
import { readWhole, windowOf, type ListWindow } from '../paging.ts';
import { scanTooLong, type Membership, type TenantScanLimit } from '../tenancy.ts';
import { SWITCH_PAGE_SIZE, type SwitchClient, type SwitchUserFilter, type SwitchUserOrder } from './client.ts';
import type { SwitchUser } from './types.ts';

export interface SwitchListRead {
  filter: SwitchUserFilter;
  order: SwitchUserOrder | undefined;
  window: ListWindow;
}

/** Whose accounts a request's switch loaders answer: a `membership` for a request bound to an organization. */
export interface SwitchTenancy {
  membership: Membership | undefined;
  scan: TenantScanLimit;
}

/**
 * Lookups by id are batched, 100 ids at most, into `user_id_in` requests (more than one when the ids
 * would make a request target too long: see `getUsersByIds`); names are searched one by one. With a
 * membership an account is there only when gate's user of its name belongs to the organization;
 * switch cannot filter by organization, so its list is read whole (filters and order applied by
 * switch) and filtered here.
 */
export function createSwitchLoaders(client: SwitchClient, { membership, scan }: SwitchTenancy, onBatch?: LoaderBatchObserver) {
  const watch = loaderWatcher(onBatch);
  const sees = async (name: string) => membership === undefined || membership.hasUsername(name);
  const userById = forgetfulLoader<number, SwitchUser | null>(
    async (ids) => {
      const users = await client.getUsersByIds(ids);
      const visible = await Promise.all(users.map(async (user) => ((await sees(user.name)) ? user : null)));
      const byId = new Map(visible.flatMap((user) => (user ? [[user.userId, user] as const] : [])));
      return ids.map((id) => byId.get(id) ?? null);
    },
    { maxBatchSize: SWITCH_PAGE_SIZE, ...ENDS_CHAIN },
    watch('switch.userById'),
  );
  const primeUser = (user: SwitchUser) => userById.prime(user.userId, user);
  const userByName = loaderByKey(async (name) => {
    if (!(await sees(name))) return null;
    const user = await client.findUserByName(name);
    if (user) primeUser(user);
    return user;
  }, watch('switch.userByName'), ENDS_CHAIN);
  /** Every user of the filtered list that this request may see: read whole (`TENANT_SCAN_MAX_ITEMS` at most), filtered here for an organization. */
  const everyUser = loaderByValue(async ({ filter, order }: Omit<SwitchListRead, 'window'>) => {
    const [visible, whole] = await Promise.all([
      membership?.everyone(),
      readWhole((slice) => client.listUsers(filter, order, slice), SWITCH_PAGE_SIZE, scan.maxItems, scanTooLong('switch', 'user list', scan)),
    ]);
    const mine = visible === undefined ? whole : whole.filter((user) => visible.usernames.has(user.name));
    mine.forEach(primeUser);
    return mine;
  }, watch('switch.everyUser'));
  const users = loaderByValue(async ({ window, ...read }: SwitchListRead) => {
    if (membership !== undefined) return windowOf(await everyUser.load(read), window);
    const page = await client.listUsers(read.filter, read.order, window);
    page.items.forEach(primeUser);
    return page;
  }, watch('switch.users'));
  return { userById, userByName, users, everyUser };
}

export type SwitchLoaders = ReturnType<typeof createSwitchLoaders>;
