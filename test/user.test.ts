import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserCoreDocument, UserDevicesDocument, UserRelationsDocument } from './generated/graphql.ts';
import { startHarness, type Harness } from './support/harness.ts';
import { isoUtc, orNull } from './support/expect.ts';
import { humanDuration } from '../src/schema/balance.ts';
import {
  EDGE_ONLY_USERNAMES,
  EVERYWHERE_USERNAME,
  GATE_ONLY_USERNAME,
  NO_EDGE_NO_TOKEN_USERNAME,
  NO_SWITCH_NO_EXTRA_USERNAME,
  SWITCH_ONLY_USERNAMES,
} from '../src/simulators/index.ts';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());

const dataset = () => harness.simulators.dataset;

describe('User core fields (gate /user/)', () => {
  it('returns every core field of every kind of person as gate holds it', async () => {
    for (const username of [EVERYWHERE_USERNAME, GATE_ONLY_USERNAME, NO_EDGE_NO_TOKEN_USERNAME, NO_SWITCH_NO_EXTRA_USERNAME]) {
      const gateUser = dataset().gateUsers.find((user) => user.username === username)!;
      const { user } = await harness.data(UserCoreDocument, { username });
      expect(user).toEqual({
        id: Buffer.from(`User:${username}`).toString('base64url'),
        gateId: gateUser.id,
        username,
        email: gateUser.email,
        organization: gateUser.organization,
        firstName: gateUser.profile['first_name'],
        lastName: gateUser.profile['last_name'],
        role: gateUser.profile['role'],
        createdAt: isoUtc(gateUser.profile.created_at),
        updatedAt: isoUtc(orNull(gateUser.profile['updated_at'] as string | undefined)),
        lastLogin: isoUtc(orNull(gateUser.profile['last_login'] as string | undefined)),
      });
    }
  });

  it('answers null for fields gate leaves out, and for people gate does not have', async () => {
    const withoutLastLogin = dataset().gateUsers.find((user) => user.profile['last_login'] === undefined)!;
    const { user } = await harness.data(UserCoreDocument, { username: withoutLastLogin.username });
    expect(user?.lastLogin).toBeNull();
    expect((await harness.data(UserCoreDocument, { username: 'nobody.at.all' })).user).toBeNull();
    expect((await harness.data(UserCoreDocument, { username: EDGE_ONLY_USERNAMES[1] })).user).toBeNull();
  });
});

describe('User relations', () => {
  it('joins the person across gate, edge and switch by username', async () => {
    const username = EVERYWHERE_USERNAME;
    const data = dataset();
    const gateUser = data.gateUsers.find((user) => user.username === username)!;
    const token = data.userTokens.find((candidate) => candidate.username === username)!;
    const extra = data.userExtras.find((candidate) => String(candidate.parent) === gateUser.id)!;
    const edgeUser = data.edgeUsers.find((candidate) => candidate.username === username)!;
    const switchUser = data.switchUsers.find((candidate) => candidate.name === username)!;

    const { user } = await harness.data(UserRelationsDocument, { username });
    expect(user?.token).toEqual({
      id: Buffer.from(`Token:${token.id}`).toString('base64url'),
      gateId: String(token.id),
      username,
      email: token.email,
      organization: token.organization,
      isActive: token.is_active,
      token: token.token,
      accessLevel: token.profile['access_level'],
      maxSessions: token.profile['max_sessions'],
      createdAt: isoUtc(token.created_at),
      updatedAt: isoUtc(orNull(token.updated_at)),
      lastLogin: isoUtc(token.last_login),
      user: { username },
    });
    expect(user?.balance).toMatchObject({
      seconds: token.balance_seconds,
      totalUsageSeconds: token.totalUsageSeconds,
      lastActivity: isoUtc(token.lastActivity),
      token: { gateId: String(token.id) },
    });
    expect(user?.balance?.humanReadable).toBe(humanDuration(token.balance_seconds));
    expect(user?.extra).toEqual({
      id: Buffer.from(`Extra:${extra.id}`).toString('base64url'),
      gateId: String(extra.id),
      organizationId: extra.organization_id,
      preferences: extra.preferences,
      customFields: extra.custom_fields,
      createdAt: isoUtc(extra.created_at),
      updatedAt: isoUtc(extra.updated_at),
      user: { username },
    });
    expect(user?.edgeAccount).toEqual({
      id: Buffer.from(`EdgeUser:${edgeUser.id}`).toString('base64url'),
      edgeId: edgeUser.id,
      username,
      email: edgeUser.email,
      firstName: edgeUser.first_name,
      lastName: edgeUser.last_name,
      description: edgeUser.description,
      organization: edgeUser.organization,
      isActive: edgeUser.is_active,
      isSuperuser: edgeUser.is_superuser,
      isStaff: edgeUser.is_staff,
      canInbox: edgeUser.can_inbox,
      allowRestAccess: edgeUser.allow_rest_access,
      memberships: edgeUser.memberships,
      preferences: edgeUser.preferences,
      dateJoined: isoUtc(edgeUser.date_joined),
      previousLoginDate: isoUtc(edgeUser.previous_login_date),
      user: { username },
    });
    expect(user?.accessTokens?.totalCount).toBe(edgeUser.tokens.length);
    expect(user?.accessTokens?.edges.map(({ node }) => node)).toEqual(
      edgeUser.tokens.map((edgeToken) => ({
        id: expect.any(String),
        edgeId: edgeToken.id,
        title: edgeToken.title,
        active: edgeToken.active,
        createdAt: isoUtc(edgeToken.created_on),
        updatedAt: isoUtc(edgeToken.updated_on),
        lastUsedAt: isoUtc(edgeToken.last_used),
        expiresAt: isoUtc(edgeToken.expires),
        owner: { username },
      })),
    );
    expect(user?.loginHistory?.totalCount).toBe(edgeUser.history.length);
    expect(user?.loginHistory?.edges.map(({ node }) => node)).toEqual(
      edgeUser.history.slice(0, 50).map((attempt) => ({
        id: expect.any(String),
        success: attempt.success,
        userAgent: attempt.user_agent,
        attemptedAt: isoUtc(attempt.attempted_on),
        remoteAddress: attempt.remote_address,
        account: { username },
      })),
    );
    expect(user?.switchAccount).toEqual({
      id: Buffer.from(`SwitchUser:${switchUser.user_id}`).toString('base64url'),
      userId: switchUser.user_id,
      name: username,
      userType: switchUser.user_type,
      roleId: switchUser.role_id,
      roleName: switchUser.role_name,
      carrierName: switchUser.carrier_name,
      active: switchUser.active,
      isOnline: switchUser.is_online,
      email: switchUser.email,
      firstName: switchUser.first_name,
      lastName: switchUser.last_name,
      fullName: switchUser.fullname,
      clientId: switchUser.client_id,
      resellerId: switchUser.reseller_id,
      createTime: isoUtc(switchUser.create_time),
      lastLoginTime: isoUtc(switchUser.last_login_time),
      lastSeen: isoUtc(switchUser.last_seen),
      loginIp: switchUser.login_ip,
      authIps: switchUser.auth_ip,
      user: { username },
    });
  });

  it('matches edge and switch accounts exactly although their filters are fuzzy', async () => {
    const fuzzyEdge = dataset().edgeUsers.filter((user) => user.username.toLowerCase().includes(EVERYWHERE_USERNAME));
    const fuzzySwitch = dataset().switchUsers.filter((user) => user.name.toLowerCase().includes(EVERYWHERE_USERNAME));
    expect(fuzzyEdge.length).toBeGreaterThan(1);
    expect(fuzzySwitch.length).toBeGreaterThan(1);
    for (const username of ['bob', 'bob.smith', 'bobby']) {
      const { user } = await harness.data(UserRelationsDocument, { username });
      const edgeUser = dataset().edgeUsers.find((candidate) => candidate.username === username);
      const switchUser = dataset().switchUsers.find((candidate) => candidate.name === username);
      expect(user?.edgeAccount?.edgeId ?? null).toBe(edgeUser?.id ?? null);
      expect(user?.edgeAccount?.username ?? null).toBe(edgeUser ? username : null);
      expect(user?.switchAccount?.userId ?? null).toBe(switchUser?.user_id ?? null);
    }
    expect(EDGE_ONLY_USERNAMES).toContain('Bob');
    expect(SWITCH_ONLY_USERNAMES).toContain('bobcat');
  });

  it('answers null or an empty list where an upstream has no record of the person', async () => {
    const missingEverywhere = await harness.data(UserRelationsDocument, { username: GATE_ONLY_USERNAME });
    expect(missingEverywhere.user).toMatchObject({
      username: GATE_ONLY_USERNAME,
      token: null,
      balance: null,
      extra: null,
      edgeAccount: null,
      accessTokens: { totalCount: 0, edges: [] },
      loginHistory: { totalCount: 0, edges: [] },
      switchAccount: null,
    });
    const noEdgeNoToken = await harness.data(UserRelationsDocument, { username: NO_EDGE_NO_TOKEN_USERNAME });
    expect(noEdgeNoToken.user).toMatchObject({ token: null, balance: null, edgeAccount: null, loginHistory: { totalCount: 0 } });
    expect(noEdgeNoToken.user?.extra).not.toBeNull();
    const noSwitchNoExtra = await harness.data(UserRelationsDocument, { username: NO_SWITCH_NO_EXTRA_USERNAME });
    expect(noSwitchNoExtra.user).toMatchObject({ extra: null, switchAccount: null });
    expect(noSwitchNoExtra.user?.edgeAccount?.username).toBe(NO_SWITCH_NO_EXTRA_USERNAME);
  });

  it('reads devices with device_info=true, and only when they are selected', async () => {
    const data = dataset();
    const extra = data.userExtras.find((candidate) => candidate.assignedDevices.length >= 2)!;
    const owner = data.gateUsers.find((user) => user.id === String(extra.parent))!;
    harness.simulators.resetRequests();
    const { user } = await harness.data(UserDevicesDocument, { username: owner.username });
    expect(user?.extra?.devices?.map(({ id, ...device }) => device)).toEqual(
      extra.assignedDevices.map((device) => ({
        deviceId: device['device_id'],
        deviceType: device['device_type'],
        serialNumber: device['serial_number'],
        model: device['model'],
        status: device['status'],
        assignedAt: isoUtc(device['assigned_date'] as string),
      })),
    );
    const extraReads = harness.requests().filter((request) => request.path.includes('/user_extra/'));
    expect(extraReads.map((request) => request.query.get('device_info'))).toEqual(['true']);

    harness.simulators.resetRequests();
    await harness.data(UserRelationsDocument, { username: owner.username });
    const plainReads = harness.requests().filter((request) => request.path.includes('/user_extra/'));
    expect(plainReads.map((request) => request.query.get('device_info'))).toEqual([null]);
  });
});

describe('Balance.humanReadable', () => {
  it('spells a duration in days, hours, minutes and seconds, leaving out zero units', () => {
    expect(humanDuration(93_784)).toBe('1d 2h 3m 4s');
    expect(humanDuration(86_400)).toBe('1d');
    expect(humanDuration(3_660)).toBe('1h 1m');
    expect(humanDuration(59)).toBe('59s');
    expect(humanDuration(0)).toBe('0s');
  });
});

describe('a document of several operations', () => {
  it('runs the operation operationName names, each time: never the one of the same text run before', async () => {
    const document = 'query A { user(username: "nobody.at.all") { username } } query B { other: user(username: "nobody.at.all") { email } }';
    const run = async (operationName: string) => {
      const response = await harness.yoga.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
        body: JSON.stringify({ query: document, operationName }),
      });
      return ((await response.json()) as { data: unknown }).data;
    };
    expect(await run('A')).toEqual({ user: null });
    expect(await run('B')).toEqual({ other: null });
    expect(await run('A')).toEqual({ user: null });
  });
});
