import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginHistoryPageDocument, SwitchUsersPageDocument, UserRelationsDocument, UsersPageDocument } from './generated/graphql.ts';
import { present } from './support/expect.ts';
import { harnessPerTest, startHarness, type Harness } from './support/harness.ts';
import { EVERYWHERE_USERNAME, LONG_HISTORY_LENGTH, LONG_HISTORY_USERNAME } from '../src/simulators/index.ts';
import type { PayloadDrift } from '../src/upstreams/observer.ts';

/**
 * Other servers built from the same docs may answer differently where the docs leave room: the
 * gateway must read them all the same.
 */
const harnessWith = harnessPerTest();

/** The history of the account whose login history spans several edge pages, as the API renders it. */
const longHistory = (harness: Harness) =>
  harness.simulators.dataset.edgeUsers
    .find((user) => user.username === LONG_HISTORY_USERNAME)!
    .history.map((attempt) => new Date(`${attempt.attempted_on}Z`).toISOString());

/** Rewrites every URL of a `Link` header; the rel parameters stay as they are. */
const rewriteLinks = (rewrite: (url: URL) => string) => (headers: Record<string, string>) => {
  if (headers['link']) headers['link'] = headers['link'].replace(/<([^>]*)>/g, (_match, url: string) => `<${rewrite(new URL(url))}>`);
};

describe('upstreams that page differently', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({
      reshape: {
        // gate that serves at most 50 items a page, whatever limit it is asked for.
        gate: {
          query: (query) => {
            if (Number(query.get('limit')) > 50) query.set('limit', '50');
          },
        },
        // edge whose Link headers are relative to the origin.
        edge: { headers: rewriteLinks((url) => url.pathname + url.search) },
        // switch that serves 30 a page and, like the docs' example, sends no `success` key.
        switch: {
          query: (query) => query.set('per_page', '30'),
          body: (body) => {
            const { success: _success, ...rest } = body as { success?: boolean };
            return rest;
          },
        },
      },
    });
  });
  afterAll(() => harness.close());

  it('reads a gate that caps pages below 100 without gaps', async () => {
    const users = present((await harness.data(UsersPageDocument, { first: 180, after: Buffer.from('OffsetConnection:9').toString('base64') })).users);
    expect(users.edges.map((edge) => edge.node.username)).toEqual(harness.simulators.dataset.gateUsers.slice(10, 190).map((user) => user.username));
  });

  it('reads a switch with smaller pages and no success key', async () => {
    const switchUsers = present((await harness.data(SwitchUsersPageDocument, { first: 100, orderBy: { field: 'USER_ID', direction: 'ASC' } })).switchUsers);
    const expected = [...harness.simulators.dataset.switchUsers].sort((a, b) => a.user_id - b.user_id).slice(0, 100);
    expect(switchUsers.edges.map((edge) => edge.node.userId)).toEqual(expected.map((user) => user.user_id));
    expect(switchUsers.totalCount).toBe(harness.simulators.dataset.switchUsers.length);
  });

  it('follows origin-relative Link URLs through every page of an edge list', async () => {
    const { user } = await harness.data(LoginHistoryPageDocument, { username: LONG_HISTORY_USERNAME, last: 10 });
    expect(user?.loginHistory?.totalCount).toBe(LONG_HISTORY_LENGTH);
    expect(user?.loginHistory?.edges.map((edge) => edge.node.attemptedAt)).toEqual(longHistory(harness).slice(-10));
  });

  it('joins a person across all three', async () => {
    const { user } = await harness.data(UserRelationsDocument, { username: EVERYWHERE_USERNAME });
    expect(user?.edgeAccount?.username).toBe(EVERYWHERE_USERNAME);
    expect(user?.switchAccount?.name).toBe(EVERYWHERE_USERNAME);
    expect(user?.token?.username).toBe(EVERYWHERE_USERNAME);
  });
});

describe('edge Link headers as RFC 8288 allows them', () => {
  const historyPages = Math.ceil(LONG_HISTORY_LENGTH / 25);

  /** Reads the whole long history through a proxy that writes its links the given way. */
  async function readHistoryThrough(headers: (headers: Record<string, string>) => void) {
    const harness = await harnessWith({ reshape: { edge: { headers } } });
    const { user } = await harness.data(LoginHistoryPageDocument, { username: LONG_HISTORY_USERNAME, first: 500 });
    const historyCalls = present(harness.proxies.edge).seen.filter((url) => url.pathname.endsWith('/history/'));
    return { history: present(user?.loginHistory), expected: longHistory(harness), historyCalls };
  }

  it.each([
    ['a comma inside the URL', rewriteLinks((url) => `${url.href}&cursor=a,b`)],
    ['query-only references, resolved against the page requested', rewriteLinks((url) => url.search)],
    ['absolute URLs naming the host edge believes it has', rewriteLinks((url) => `https://edge.example.com${url.pathname}${url.search}`)],
    [
      'a public host with another path prefix',
      rewriteLinks((url) => `https://gateway.example.com/tenants/7${url.pathname}${url.search}`),
    ],
    [
      'quoted parameters holding commas and semicolons, several rel types, odd case',
      (headers: Record<string, string>) => {
        if (!headers['link']) return;
        headers['link'] = headers['link']
          .replace(/rel="next"/g, 'title="page, the next; of many"; REL="prefetch Next"')
          .replace(/rel="last"/g, 'rel="last"; title="a, b"');
      },
    ],
    [
      'a link whose rel only starts like next, pointing elsewhere',
      (headers: Record<string, string>) => {
        if (headers['link']) headers['link'] = `<http://127.0.0.1:1/nowhere?page=99>; rel="nextpage", ${headers['link']}`;
      },
    ],
  ])('follows %s to the end of the list', async (_case, headers) => {
    const { history, expected, historyCalls } = await readHistoryThrough(headers);
    expect(history.totalCount).toBe(LONG_HISTORY_LENGTH);
    expect(history.edges.map((edge) => edge.node.attemptedAt)).toEqual(expected);
    expect(historyCalls).toHaveLength(historyPages);
    // Every page was asked of the configured edge, at its own path.
    expect(new Set(historyCalls.map((url) => url.pathname)).size).toBe(1);
  });

  it('refuses a Link header it cannot read instead of cutting the list short', async () => {
    const harness = await harnessWith({
      reshape: { edge: { headers: (headers) => void (headers['link'] &&= '<unterminated; rel="next"') } },
    });
    const result = await harness.execute(LoginHistoryPageDocument, { username: LONG_HISTORY_USERNAME, first: 500 });
    expect(result.data?.user?.loginHistory).toBeNull();
    expect(result.errors?.[0]).toMatchObject({ path: ['user', 'loginHistory'], extensions: { code: 'UPSTREAM_BAD_RESPONSE', upstream: 'edge' } });
  });
});

describe('switch refusals, whatever status they come with', () => {
  it.each([200, 400, 401, 403, 500])('reads a wrong-token envelope sent with HTTP %i as UPSTREAM_UNAUTHENTICATED', async (status) => {
    const harness = await harnessWith({
      override: { switch: { headers: { 'x-auth-token': 'wrong-switch-secret' } } },
      reshape: { switch: { status: () => status } },
    });
    const result = await harness.execute(UserRelationsDocument, { username: EVERYWHERE_USERNAME });
    expect(result.data?.user?.token).not.toBeNull();
    expect(result.errors).toEqual([
      expect.objectContaining({
        path: ['user', 'switchAccount'],
        message: 'switch refused the user list (incorrect_token_provided)',
        extensions: expect.objectContaining({ code: 'UPSTREAM_UNAUTHENTICATED', upstream: 'switch' }),
      }),
    ]);
    expect(JSON.stringify(result)).not.toContain('wrong-switch-secret');
  });

  it.each([
    [200, 'UPSTREAM_ERROR'],
    [400, 'UPSTREAM_BAD_REQUEST'],
    [503, 'UPSTREAM_ERROR'],
  ])('reads another refusal sent with HTTP %i by its status (%s), showing no free text', async (status, code) => {
    const refusal = {
      success: false,
      error_type: 'validation_error',
      error: { message: 'page out of range: internal detail db=switch-prod', code: 400, reason: 'Bad page, see server log at /var/log' },
    };
    const harness = await harnessWith({
      reshape: { switch: { intercept: () => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(refusal) }) } },
    });
    const result = await harness.execute(UserRelationsDocument, { username: EVERYWHERE_USERNAME });
    expect(result.errors?.[0]).toMatchObject({
      path: ['user', 'switchAccount'],
      message: 'switch refused the user list (validation_error)',
      extensions: { code, upstream: 'switch' },
    });
    expect(JSON.stringify(result)).not.toMatch(/internal detail|server log/);
  });
});

describe('a failed page is not remembered as read', () => {
  it('asks edge again for a page that failed, when another field reads the same list', async () => {
    let failures = 0;
    const harness = await harnessWith({
      reshape: {
        edge: {
          intercept: (url) =>
            url.pathname.endsWith('/history/') && url.searchParams.get('page') === '2' && failures++ === 0
              ? { status: 500, body: '{"detail": "broken"}' }
              : undefined,
        },
      },
    });
    const query = `query($username: String!) {
      user(username: $username) {
        loginHistory(first: 30) { edges { node { attemptedAt } } }
        edgeAccount { loginHistory(first: 30) { edges { node { attemptedAt } } } }
      }
    }`;
    const result = (await harness.execute(query, { username: LONG_HISTORY_USERNAME })) as {
      data?: { user: { loginHistory: { edges: unknown[] } | null; edgeAccount: { loginHistory: { edges: unknown[] } | null } } };
      errors?: { path?: unknown[]; extensions?: Record<string, unknown> }[];
    };
    const lists = [result.data?.user.loginHistory, result.data?.user.edgeAccount.loginHistory];
    // One field saw the 500 (which is not retried); the other asked again and got the whole window.
    expect(lists.filter((list) => list === null)).toHaveLength(1);
    expect(lists.find((list) => list !== null)?.edges).toHaveLength(30);
    expect(result.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'UPSTREAM_ERROR', upstreamStatus: 500 }) })]);
    const secondPageCalls = present(harness.proxies.edge).seen.filter((url) => url.pathname.endsWith('/history/') && url.searchParams.get('page') === '2');
    expect(secondPageCalls).toHaveLength(2);
  });
});

describe('values that pass a shape check but are not what GraphQL serves', () => {
  const gateValues = (record: Record<string, unknown>) => {
    if (record['username'] !== EVERYWHERE_USERNAME) return record;
    const profile = (record['profile'] ?? {}) as Record<string, unknown>;
    if ('organization' in record && !('is_active' in record)) {
      // /user/: timestamps without seconds, with +0000, with a space and a lower-case zone.
      return { ...record, profile: { ...profile, created_at: '2024-01-15T10:30Z', updated_at: '2024-01-15 10:30:05+0000', last_login: '2024-01-15t10:30:05.5z' } };
    }
    // /user_token/: a fractional balance, a usage beyond Int, an impossible date, a fractional session count.
    return {
      ...record,
      balance_seconds: 86399.5,
      created_at: '2024-02-30T10:00:00Z',
      last_login: '2024-01-15T25:00:00Z',
      profile: { ...profile, total_usage_seconds: 3e9, max_sessions: 2.5, last_activity: '2024-01-15T10:30:00-0130' },
    };
  };

  it('normalises what is unambiguous and fails only the fields it cannot serve', async () => {
    const harness = await harnessWith({
      reshape: {
        gate: {
          body: (body) => {
            const page = body as { results?: Record<string, unknown>[] };
            return page.results ? { ...page, results: page.results.map(gateValues) } : gateValues(body as Record<string, unknown>);
          },
        },
        switch: {
          body: (body) => {
            const envelope = body as { payload: { items: Record<string, unknown>[] } };
            envelope.payload.items = envelope.payload.items.map((item) =>
              item['name'] === EVERYWHERE_USERNAME ? { ...item, client_id: 3e9, is_online: true, create_time: '2018-02-15T03:02:04.870467+00:00' } : item,
            );
            return envelope;
          },
        },
      },
    });
    const query = `query($username: String!) {
      user(username: $username) {
        username createdAt updatedAt lastLogin
        token { username createdAt lastLogin maxSessions accessLevel }
        balance { seconds totalUsageSeconds lastActivity humanReadable }
        switchAccount { name clientId isOnline createTime }
      }
    }`;
    const result = (await harness.execute(query, { username: EVERYWHERE_USERNAME })) as {
      data?: { user: Record<string, unknown> & { token: Record<string, unknown>; balance: Record<string, unknown>; switchAccount: Record<string, unknown> } };
      errors?: { path?: (string | number)[]; extensions?: Record<string, unknown>; message: string }[];
    };
    expect(result.data?.user).toMatchObject({
      username: EVERYWHERE_USERNAME,
      createdAt: '2024-01-15T10:30:00.000Z',
      updatedAt: '2024-01-15T10:30:05.000Z',
      lastLogin: '2024-01-15T10:30:05.500Z',
      token: { username: EVERYWHERE_USERNAME, createdAt: null, lastLogin: null, maxSessions: null },
      balance: { seconds: 86399, totalUsageSeconds: 3e9, lastActivity: '2024-01-15T12:00:00.000Z', humanReadable: '23h 59m 59s' },
      switchAccount: { name: EVERYWHERE_USERNAME, clientId: null, isOnline: 1, createTime: '2018-02-15T03:02:04.870Z' },
    });
    const failed = (result.errors ?? []).map((error) => [error.path?.join('.'), error.extensions?.['code'], error.extensions?.['upstream']]);
    expect(failed.sort()).toEqual(
      [
        ['user.switchAccount.clientId', 'UPSTREAM_BAD_RESPONSE', 'switch'],
        ['user.token.createdAt', 'UPSTREAM_BAD_RESPONSE', 'gate'],
        ['user.token.lastLogin', 'UPSTREAM_BAD_RESPONSE', 'gate'],
        ['user.token.maxSessions', 'UPSTREAM_BAD_RESPONSE', 'gate'],
      ].sort(),
    );
    expect(result.errors?.map((error) => error.message)).toContain('gate sent a user token whose created_at is not a date-time');
    expect(JSON.stringify(result)).not.toMatch(/2024-02-30|INTERNAL_SERVER_ERROR/);
  });
});

describe('payloads that drift from the docs without breaking them', () => {
  /** Every drift the upstream layer reported, as `upstream route kind field`. */
  const driftOf = (drifts: PayloadDrift[]) => drifts.map(({ upstream, route, kind, field }) => `${upstream} ${route} ${kind} ${field}`);

  it('answers a payload with an extra key and without an optional one as usual, and reports both by name', async () => {
    const drifts: PayloadDrift[] = [];
    const harness = await harnessWith({
      observer: { payloadDrift: (drift) => drifts.push(drift) },
      reshape: {
        // gate's user gains a top-level and a nested key, and loses its email.
        gate: {
          body: (body, url) => {
            if (!url.pathname.includes('/user/username/')) return body;
            const { email: _email, profile, ...user } = body as Record<string, unknown> & { profile: Record<string, unknown> };
            return { ...user, nickname: 'drift-marker-value', profile: { ...profile, timezone: 'drift-marker-zone' } };
          },
        },
        // edge's users gain `avatar` and lose `description`.
        edge: {
          body: (body, url) => {
            if (!url.pathname.endsWith('/users/') || !Array.isArray(body)) return body;
            return body.map(({ description: _description, ...user }: Record<string, unknown>) => ({ ...user, avatar: 'drift-marker-avatar' }));
          },
        },
        // switch's items gain `sip_trunk` (an object) and lose `role_name`.
        switch: {
          body: (body) => {
            const envelope = body as { payload: { items: Record<string, unknown>[] } };
            envelope.payload.items = envelope.payload.items.map(({ role_name: _roleName, ...item }) => ({ ...item, sip_trunk: { host: 'drift-marker-host' } }));
            return envelope;
          },
        },
      },
    });
    const result = await harness.execute(
      `query($username: String!) {
        user(username: $username) {
          username email firstName role
          edgeAccount { username description isActive }
          switchAccount { name roleName userType }
        }
      }`,
      { username: EVERYWHERE_USERNAME },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toMatchObject({
      user: {
        username: EVERYWHERE_USERNAME,
        email: null,
        firstName: expect.any(String),
        edgeAccount: { username: EVERYWHERE_USERNAME, description: null, isActive: expect.any(Boolean) },
        switchAccount: { name: EVERYWHERE_USERNAME, roleName: null, userType: expect.any(String) },
      },
    });
    expect(driftOf(drifts)).toEqual(
      expect.arrayContaining([
        'gate /user/username/{username}/ unexpected nickname',
        'gate /user/username/{username}/ unexpected profile.timezone',
        'gate /user/username/{username}/ missing email',
        'edge /users/ unexpected [].avatar',
        'edge /users/ missing [].description',
        'switch /user/list unexpected payload.items[].sip_trunk',
        'switch /user/list missing payload.items[].role_name',
      ]),
    );
    // Key names only: never a value of the payload.
    expect(JSON.stringify(drifts)).not.toMatch(/drift-marker/);
  });
});
