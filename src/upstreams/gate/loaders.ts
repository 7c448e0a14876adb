import { detailLoaderPair, loaderByKey, loaderByValue } from '../batching.ts';
import type { ListWindow } from '../paging.ts';
import type { GateClient, GateExtraFilter, GateTokenFilter, GateUserFilter, GateUserKey } from './client.ts';
import type { GateUser, GateUserExtra, GateUserToken } from './types.ts';

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
  const tokens = detailLoaderPair({
    byId: (id, withBalance) => client.getToken(id, withBalance),
    byKey: (username, withBalance) => client.findTokenByUsername(username, withBalance),
    idOf: (token) => String(token.id),
    keyOf: (token) => token.username,
  });
  const extras = detailLoaderPair({
    byId: (id, withDevices) => client.getExtra(id, withDevices),
    byKey: (parent, withDevices) => client.findExtraByParent(parent, withDevices),
    idOf: (extra) => String(extra.id),
    keyOf: (extra) => extra.parent,
  });

  return {
    /**
     * What this request wrote, so that a selection on a mutation's payload never shows stale
     * data: a record written is what later loads answer, a record gone is read again if asked for.
     */
    wrote: {
      user(user: GateUser) {
        userById.clear(user.id).prime(user.id, user);
        userByUsername.clear(user.username).prime(user.username, user);
      },
      userGone(key: GateUserKey) {
        if ('username' in key) {
          userByUsername.clear(key.username);
          return;
        }
        userById.clear(key.id);
        // The username it had is not known here: no username lookup is trusted any more.
        userByUsername.clearAll();
      },
      token(token: GateUserToken) {
        tokens.replace(token);
      },
      tokenGone(token: GateUserToken) {
        tokens.forget(token);
      },
      extra(extra: GateUserExtra) {
        extras.replace(extra);
      },
      extraGone(extra: GateUserExtra) {
        extras.forget(extra);
      },
    },
    userById,
    userByUsername,
    tokenById: tokens.byId,
    tokenByUsername: tokens.byKey,
    extraById: extras.byId,
    extraByParent: extras.byKey,
    users: loaderByValue(async ({ filter, window }: GateListRead<GateUserFilter>) => {
      const page = await client.listUsers(filter, window);
      for (const user of page.items) {
        userById.prime(user.id, user);
        userByUsername.prime(user.username, user);
      }
      return page;
    }),
    tokens: loaderByValue(async ({ filter, window, detailed }: GateDetailedListRead<GateTokenFilter>) => {
      const page = await client.listTokens(filter, window, detailed);
      for (const token of page.items) tokens.prime(token, detailed);
      return page;
    }),
    extras: loaderByValue(async ({ filter, window, detailed }: GateDetailedListRead<GateExtraFilter>) => {
      const page = await client.listExtras(filter, window, detailed);
      for (const extra of page.items) extras.prime(extra, detailed);
      return page;
    }),
  };
}

export type GateLoaders = ReturnType<typeof createGateLoaders>;
