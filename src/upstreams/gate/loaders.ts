import { detailLoader, loaderByKey, loaderByValue, primeDetail } from '../batching.ts';
import type { ListWindow } from '../paging.ts';
import type { GateClient, GateExtraFilter, GateTokenFilter, GateUserFilter } from './client.ts';
import type { GateUserExtra, GateUserToken } from './types.ts';

export interface GateListRead<F> {
  filter: F;
  window: ListWindow;
}

export interface GateDetailedListRead<F> extends GateListRead<F> {
  /** `balance=true` for tokens, `device_info=true` for extras. */
  detailed: boolean;
}

/**
 * gate has no multi-key filters: one request per distinct key, each key once per request. A
 * record read one way (a list, a lookup by username) is primed for the other ways, so a later
 * lookup of the same record in this request costs nothing.
 */
export function createGateLoaders(client: GateClient) {
  const userById = loaderByKey((id) => client.getUser(id));
  const userByUsername = loaderByKey((username) => client.getUserByUsername(username));

  const tokenById = detailLoader((id, withBalance) => client.getToken(id, withBalance));
  const tokenByUsername = detailLoader(
    (username, withBalance) => client.findTokenByUsername(username, withBalance),
    (token, withBalance) => token && primeDetail(tokenById, String(token.id), token, withBalance),
  );
  const primeToken = (token: GateUserToken, withBalance: boolean) => {
    primeDetail(tokenById, String(token.id), token, withBalance);
    primeDetail(tokenByUsername, token.username, token, withBalance);
  };

  const extraById = detailLoader((id, withDevices) => client.getExtra(id, withDevices));
  const extraByParent = detailLoader(
    (parent, withDevices) => client.findExtraByParent(parent, withDevices),
    (extra, withDevices) => extra && primeDetail(extraById, String(extra.id), extra, withDevices),
  );
  const primeExtra = (extra: GateUserExtra, withDevices: boolean) => {
    primeDetail(extraById, String(extra.id), extra, withDevices);
    primeDetail(extraByParent, extra.parent, extra, withDevices);
  };

  const users = loaderByValue(async ({ filter, window }: GateListRead<GateUserFilter>) => {
    const page = await client.listUsers(filter, window);
    for (const user of page.items) {
      userById.prime(user.id, user);
      userByUsername.prime(user.username, user);
    }
    return page;
  });
  const tokens = loaderByValue(async ({ filter, window, detailed }: GateDetailedListRead<GateTokenFilter>) => {
    const page = await client.listTokens(filter, window, detailed);
    for (const token of page.items) primeToken(token, detailed);
    return page;
  });
  const extras = loaderByValue(async ({ filter, window, detailed }: GateDetailedListRead<GateExtraFilter>) => {
    const page = await client.listExtras(filter, window, detailed);
    for (const extra of page.items) primeExtra(extra, detailed);
    return page;
  });

  return { userById, userByUsername, tokenByUsername, tokenById, extraByParent, extraById, users, tokens, extras };
}

export type GateLoaders = ReturnType<typeof createGateLoaders>;
