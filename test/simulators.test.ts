import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BIG_ORGANIZATION,
  EDGE_ONLY_USERNAMES,
  EVERYWHERE_USERNAME,
  GATE_ONLY_USERNAME,
  GATE_PUBLIC_BASE_URL,
  LONG_HISTORY_LENGTH,
  LONG_HISTORY_USERNAME,
  NO_SWITCH_NO_EXTRA_USERNAME,
  PEOPLE_COUNT,
  SMALL_ORGANIZATION,
  SUBSTRING_USERNAMES,
  SWITCH_ONLY_USERNAMES,
  SWITCH_ROLES,
  createDataset,
  startSimulators,
  type Dataset,
  type Simulators,
} from '../src/simulators/index.ts';

// ---- wire shapes, as far as the tests look at them ----

interface GateList<T> { count: number; next: string | null; previous: string | null; results: T[] }
interface GateUserWire { id: string; username: string; email: string; organization: string | null; profile: Record<string, unknown>; password?: string }
interface UserTokenWire {
  id: number; username: string; token: string; is_active: boolean; balance_seconds?: number; last_login: string | null;
  updated_at?: string; profile: Record<string, unknown>;
}
interface DeviceInfoWire { assigned_devices: Record<string, unknown>[]; device_count: number }
interface UserExtraWire {
  id: number; parent: number; organization_id: string | null; preferences: Record<string, unknown>;
  custom_fields: Record<string, unknown>; device_info?: DeviceInfoWire; updated_at: string;
}
interface EdgeUserWire {
  id: string; url: string; username: string; first_name: string | null; is_active: boolean; memberships: string[];
  access_tokens_url: string; login_history_url: string; password?: string;
}
interface EdgeTokenWire { id: string; token: string; hashed_token: string; active: boolean; user?: string; url?: string }
interface EdgeAttemptWire { success: boolean; attempted_on: string }
interface SwitchItemWire { user_id: number; name: string; user_type: string; carrier_name: string | null; last_login_time: string | null; create_time: string; is_online: number; role_id: number; role_name: string; passwd: string }
interface SwitchReply { success: boolean; payload?: { per_page: number; total: number; page: number; items: SwitchItemWire[] }; error_type?: string; error?: { message: string; code: number; reason: string } }
type ErrorBody = Record<string, string[]> & { detail?: string };

interface Answer<T> { status: number; headers: Headers; text: string; body: T }

async function call<T>(url: string, init: RequestInit = {}): Promise<Answer<T>> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: (text === '' ? undefined : JSON.parse(text)) as T };
}

function jsonInit(method: string, body: unknown, headers: Record<string, string>): RequestInit {
  return { method, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** rel -> URL from an RFC 5988 Link header */
function parseLinks(header: string | null): Record<string, string> {
  const links: Record<string, string> = {};
  for (const part of header?.split(',') ?? []) {
    const match = /<([^>]+)>;\s*rel="(\w+)"/.exec(part);
    if (match?.[1] && match[2]) links[match[2]] = match[1];
  }
  return links;
}

function clients(simulators: Simulators) {
  const gateAuth = { authorization: `Bearer ${simulators.gate.token}` };
  const edgeAuth = { authorization: `Basic ${Buffer.from(`${simulators.edge.username}:${simulators.edge.password}`).toString('base64')}` };
  const switchAuth = { 'x-auth-token': simulators.switch.token };
  return {
    gate: <T>(path: string, init: RequestInit = {}) => call<T>(`${simulators.gate.url}${path}`, { ...init, headers: { ...gateAuth, ...init.headers } }),
    gateWrite: <T>(method: string, path: string, body: unknown) => call<T>(`${simulators.gate.url}${path}`, jsonInit(method, body, gateAuth)),
    edge: <T>(path: string, init: RequestInit = {}) => call<T>(`${simulators.edge.url}${path}`, { ...init, headers: { ...edgeAuth, ...init.headers } }),
    edgeUrl: <T>(url: string) => call<T>(url, { headers: edgeAuth }),
    edgeWrite: <T>(method: string, path: string, body: unknown) => call<T>(`${simulators.edge.url}${path}`, jsonInit(method, body, edgeAuth)),
    switchList: (query = '', headers: Record<string, string> = switchAuth) => call<SwitchReply>(`${simulators.switch.url}/user/list${query}`, { headers }),
  };
}

const GATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const EDGE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;
const SWITCH_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/;

describe('dataset', () => {
  const dataset = createDataset();
  const person = (username: string) => dataset.people.find((candidate) => candidate.username === username);

  it('is deterministic and every call returns an independent copy', () => {
    const other = createDataset();
    expect(JSON.stringify(other)).toBe(JSON.stringify(dataset));
    other.gateUsers[0]!.profile['role'] = 'changed';
    other.edgeUsers[0]!.tokens.length = 0;
    expect(createDataset().gateUsers[0]!.profile['role']).toBe(dataset.gateUsers[0]!.profile['role']);
    expect(createDataset().edgeUsers[0]!.tokens.length).toBe(dataset.edgeUsers[0]!.tokens.length);
  });

  it('has ~300 unique people over organizations of very different sizes', () => {
    expect(dataset.people).toHaveLength(PEOPLE_COUNT);
    expect(dataset.gateUsers).toHaveLength(PEOPLE_COUNT);
    expect(new Set(dataset.gateUsers.map((user) => user.username)).size).toBe(PEOPLE_COUNT);
    expect(dataset.gateUsers.every((user) => /^\d+$/.test(user.id))).toBe(true);
    expect(dataset.people.every((candidate) => candidate.username === candidate.username.toLowerCase())).toBe(true);
    const sizes = new Map(dataset.organizations.map((organization) => [organization.name, 0]));
    for (const candidate of dataset.people) sizes.set(candidate.organization, (sizes.get(candidate.organization) ?? 0) + 1);
    expect(sizes.get(BIG_ORGANIZATION.name)).toBe(BIG_ORGANIZATION.size);
    expect(BIG_ORGANIZATION.size).toBeGreaterThan(100);
    expect(sizes.get(SMALL_ORGANIZATION.name)).toBe(SMALL_ORGANIZATION.size);
    expect(dataset.organizations.every((organization) => /^\d+$/.test(organization.id) && sizes.get(organization.name) === organization.size)).toBe(true);
  });

  it('has the substring and case-variant usernames, and upstream-only records', () => {
    for (const username of SUBSTRING_USERNAMES) expect(person(username)).toBeDefined();
    const gateNames = new Set(dataset.gateUsers.map((user) => user.username));
    const edgeNames = new Set(dataset.edgeUsers.map((user) => user.username));
    const switchNames = new Set(dataset.switchUsers.map((user) => user.name));
    for (const username of EDGE_ONLY_USERNAMES) expect(edgeNames.has(username) && !gateNames.has(username)).toBe(true);
    for (const username of SWITCH_ONLY_USERNAMES) expect(switchNames.has(username) && !gateNames.has(username)).toBe(true);
    expect(edgeNames.has('Bob') && edgeNames.has('bob')).toBe(true);
  });

  it('spreads missing records through the list at the documented rates', () => {
    const missingRate = (flag: 'inEdge' | 'inSwitch' | 'hasToken' | 'hasExtra') => dataset.people.filter((candidate) => !candidate[flag]).length / PEOPLE_COUNT;
    expect(missingRate('inEdge')).toBeGreaterThan(0.08);
    expect(missingRate('inEdge')).toBeLessThan(0.22);
    expect(missingRate('inSwitch')).toBeGreaterThan(0.12);
    expect(missingRate('inSwitch')).toBeLessThan(0.3);
    expect(missingRate('hasToken')).toBeGreaterThan(0.04);
    expect(missingRate('hasToken')).toBeLessThan(0.16);
    expect(missingRate('hasExtra')).toBeGreaterThan(0.03);
    expect(missingRate('hasExtra')).toBeLessThan(0.14);
    for (const flag of ['inEdge', 'inSwitch', 'hasToken', 'hasExtra'] as const) {
      const missingIndexes = dataset.people.flatMap((candidate, index) => (candidate[flag] ? [] : [index]));
      expect(missingIndexes.some((index) => index < PEOPLE_COUNT / 3)).toBe(true);
      expect(missingIndexes.some((index) => index > (2 * PEOPLE_COUNT) / 3)).toBe(true);
    }
  });

  it('keeps each upstream consistent with the people table', () => {
    expect(person(EVERYWHERE_USERNAME)).toMatchObject({ inEdge: true, inSwitch: true, hasToken: true, hasExtra: true });
    expect(person(GATE_ONLY_USERNAME)).toMatchObject({ inEdge: false, inSwitch: false, hasToken: false, hasExtra: false });
    const edgeNames = new Set(dataset.edgeUsers.map((user) => user.username));
    const switchNames = new Set(dataset.switchUsers.map((user) => user.name));
    const tokenNames = new Set(dataset.userTokens.map((token) => token.username));
    const extraParents = new Set(dataset.userExtras.map((extra) => String(extra.parent)));
    for (const candidate of dataset.people) {
      expect(edgeNames.has(candidate.username)).toBe(candidate.inEdge);
      expect(switchNames.has(candidate.username)).toBe(candidate.inSwitch);
      expect(tokenNames.has(candidate.username)).toBe(candidate.hasToken);
      expect(extraParents.has(candidate.gateUserId)).toBe(candidate.hasExtra);
    }
    for (const extra of dataset.userExtras) {
      const owner = dataset.people.find((candidate) => candidate.gateUserId === String(extra.parent));
      expect(extra.organization_id).toBe(owner?.organizationId);
      expect(extra.assignedDevices.length).toBeLessThanOrEqual(3);
    }
  });

  it('varies optional fields, secrets and timestamps as the docs do', () => {
    expect(dataset.gateUsers.some((user) => !('last_login' in user.profile))).toBe(true);
    expect(dataset.gateUsers.some((user) => 'last_login' in user.profile)).toBe(true);
    expect(dataset.gateUsers.some((user) => !('updated_at' in user.profile))).toBe(true);
    expect(dataset.gateUsers.every((user) => GATE_TIME.test(user.profile.created_at))).toBe(true);
    expect(dataset.userTokens.some((token) => token.last_login === null)).toBe(true);
    expect(dataset.userTokens.some((token) => token.updated_at === undefined)).toBe(true);
    expect(dataset.userTokens.some((token) => token.activeSessions > 0)).toBe(true);
    expect(dataset.userTokens.some((token) => token.balance_seconds === 0)).toBe(true);
    expect(dataset.userTokens.some((token) => token.balance_seconds > 10_000_000)).toBe(true);
    expect(new Set(dataset.userExtras.map((extra) => extra.assignedDevices.length))).toEqual(new Set([0, 1, 2, 3]));
    expect(dataset.edgeUsers.some((user) => user.first_name === null)).toBe(true);
    for (const user of dataset.edgeUsers) {
      expect(user.date_joined).toMatch(EDGE_TIME);
      expect(user.tokens.length).toBeLessThanOrEqual(4);
      const times = user.history.map((attempt) => attempt.attempted_on);
      expect(times).toEqual([...times].sort().reverse());
      expect(user.history.length).toBeLessThanOrEqual(user.username === LONG_HISTORY_USERNAME ? LONG_HISTORY_LENGTH : 30);
    }
    expect(dataset.edgeUsers.find((user) => user.username === LONG_HISTORY_USERNAME)?.history).toHaveLength(LONG_HISTORY_LENGTH);
    for (const user of dataset.switchUsers) {
      expect(SWITCH_ROLES[user.user_type]).toEqual({ role_id: user.role_id, role_name: user.role_name });
      expect(user.carrier_name !== null).toBe(user.user_type === 'carrier');
      expect([1, 2]).toContain(user.is_online);
      expect(user.create_time).toMatch(SWITCH_TIME);
      expect(user.passwd).toMatch(/^\$2b\$12\$/);
    }
    expect(dataset.switchUsers.some((user) => user.cdr_api_token !== null)).toBe(true);
    expect(dataset.switchUsers.some((user) => user.last_login_time === null)).toBe(true);
  });
});

describe('simulators (read-only)', () => {
  let simulators: Simulators;
  let api: ReturnType<typeof clients>;
  let dataset: Dataset;
  const bob = () => dataset.people.find((candidate) => candidate.username === EVERYWHERE_USERNAME)!;

  beforeAll(async () => {
    simulators = await startSimulators();
    api = clients(simulators);
    dataset = simulators.dataset;
  });
  afterAll(() => simulators.close());

  describe('gate', () => {
    it('rejects a missing or wrong bearer token', async () => {
      const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer nope' }, { authorization: `Token ${simulators.gate.token}` }];
      for (const headers of attempts) {
        const answer = await call<ErrorBody>(`${simulators.gate.url}/user/`, { headers });
        expect(answer.status).toBe(401);
        expect(answer.body).toEqual({ detail: 'Authentication credentials were not provided.' });
      }
    });

    it('pages with limit/offset and public absolute next/previous links', async () => {
      const first = await api.gate<GateList<GateUserWire>>('/user/');
      expect(first.body.count).toBe(PEOPLE_COUNT);
      expect(first.body.results).toHaveLength(20);
      expect(first.body.next).toBe(`${GATE_PUBLIC_BASE_URL}/user/?limit=20&offset=20`);
      expect(first.body.previous).toBeNull();
      expect(first.body.results.every((user) => user.password === undefined)).toBe(true);

      const second = await api.gate<GateList<GateUserWire>>('/user/?limit=20&offset=10');
      expect(second.body.previous).toBe(`${GATE_PUBLIC_BASE_URL}/user/?limit=20`);
      const last = await api.gate<GateList<GateUserWire>>('/user/?limit=20&offset=290');
      expect(last.body.results).toHaveLength(10);
      expect(last.body.next).toBeNull();
      expect(last.body.previous).toBe(`${GATE_PUBLIC_BASE_URL}/user/?limit=20&offset=270`);

      const clamped = await api.gate<GateList<GateUserWire>>('/user/?limit=1000');
      expect(clamped.body.results).toHaveLength(100);
      expect(clamped.body.next).toBe(`${GATE_PUBLIC_BASE_URL}/user/?limit=100&offset=100`);
    });

    it('answers 400 on a malformed limit or offset', async () => {
      for (const query of ['limit=abc', 'limit=-5', 'limit=0', 'offset=-1', 'offset=1.5']) {
        const answer = await api.gate<ErrorBody>(`/user_token/?${query}`);
        expect(answer.status, query).toBe(400);
        expect(Object.keys(answer.body)).toEqual([query.split('=')[0]]);
      }
    });

    it('walks the big organization across pages, keeping the filter in next', async () => {
      const usernames: string[] = [];
      let query: string | null = `?organization=${BIG_ORGANIZATION.name}&limit=100`;
      while (query !== null) {
        const page: Answer<GateList<GateUserWire>> = await api.gate<GateList<GateUserWire>>(`/user/${query}`);
        usernames.push(...page.body.results.map((user) => user.username));
        expect(page.body.results.every((user) => user.organization === BIG_ORGANIZATION.name)).toBe(true);
        query = page.body.next === null ? null : new URL(page.body.next).search;
      }
      expect(usernames).toHaveLength(BIG_ORGANIZATION.size);
      expect(new Set(usernames).size).toBe(BIG_ORGANIZATION.size);
    });

    it('filters users exactly and reads them by id or username, with or without a trailing slash', async () => {
      const byName = await api.gate<GateList<GateUserWire>>('/user/?username=bob');
      expect(byName.body.results.map((user) => user.username)).toEqual(['bob']);
      expect((await api.gate<GateList<GateUserWire>>('/user/?username=BOB')).body.count).toBe(0);
      const byId = await api.gate<GateList<GateUserWire>>(`/user/?id=${bob().gateUserId}`);
      expect(byId.body.results[0]?.username).toBe('bob');
      expect((await api.gate<GateUserWire>(`/user/${bob().gateUserId}`)).body.username).toBe('bob');
      expect((await api.gate<GateUserWire>('/user/username/bob.smith/')).body.username).toBe('bob.smith');
      expect((await api.gate<GateUserWire>('/user/username/bob.smith')).status).toBe(200);
      for (const path of ['/user/99999/', '/user/username/nobody/', '/user_token/99999/', '/user_extra/abc/']) {
        const answer = await api.gate<ErrorBody>(path);
        expect(answer.status, path).toBe(404);
        expect(answer.body).toEqual({ detail: 'Not found.' });
      }
    });

    it('shows user_token balances and usage only with balance=true', async () => {
      const plain = await api.gate<GateList<UserTokenWire>>('/user_token/?limit=100');
      expect(plain.body.count).toBe(dataset.userTokens.length);
      expect(plain.body.results.every((token) => token.balance_seconds === undefined && !('total_usage_seconds' in token.profile))).toBe(true);
      const withBalance = await api.gate<GateList<UserTokenWire>>('/user_token/?limit=100&balance=true');
      expect(withBalance.body.results.every((token) => typeof token.balance_seconds === 'number' && 'total_usage_seconds' in token.profile)).toBe(true);
      expect(withBalance.body.next).toBe(`${GATE_PUBLIC_BASE_URL}/user_token/?limit=100&balance=true&offset=100`);

      const bobs = await api.gate<GateList<UserTokenWire>>('/user_token/?username=bob');
      expect(bobs.body.results.map((token) => token.username)).toEqual(['bob']);
      const id = bobs.body.results[0]!.id;
      expect((await api.gate<UserTokenWire>(`/user_token/${id}/`)).body.balance_seconds).toBeUndefined();
      const detailed = await api.gate<UserTokenWire>(`/user_token/${id}/?balance=true`);
      expect(detailed.body.balance_seconds).toBe(dataset.userTokens.find((token) => token.id === id)?.balance_seconds);
      expect(detailed.body.profile).toHaveProperty('last_activity');

      const small = await api.gate<GateList<UserTokenWire>>(`/user_token/?organization=${SMALL_ORGANIZATION.name}`);
      expect(small.body.count).toBe(dataset.userTokens.filter((token) => token.organization === SMALL_ORGANIZATION.name).length);
    });

    it('shows user_extra device_info only with device_info=true and filters by parent and organization', async () => {
      const plain = await api.gate<GateList<UserExtraWire>>('/user_extra/?limit=100');
      expect(plain.body.results.every((extra) => extra.device_info === undefined)).toBe(true);
      const withDevices = await api.gate<GateList<UserExtraWire>>('/user_extra/?limit=100&device_info=true');
      for (const extra of withDevices.body.results) {
        expect(extra.device_info?.device_count).toBe(extra.device_info?.assigned_devices.length);
      }
      const bobsExtra = await api.gate<GateList<UserExtraWire>>(`/user_extra/?parent=${bob().gateUserId}`);
      expect(bobsExtra.body.results).toHaveLength(1);
      expect(bobsExtra.body.results[0]?.parent).toBe(Number(bob().gateUserId));
      const byOrganization = await api.gate<GateList<UserExtraWire>>(`/user_extra/?parent__organization_id=${SMALL_ORGANIZATION.id}`);
      const expected = dataset.people.filter((candidate) => candidate.organization === SMALL_ORGANIZATION.name && candidate.hasExtra).length;
      expect(byOrganization.body.count).toBe(expected);
    });
  });

  describe('edge', () => {
    it('accepts Basic and Token credentials and rejects anything else', async () => {
      const token = `Token ${simulators.edge.token}`;
      expect((await call(`${simulators.edge.url}/users/`, { headers: { authorization: token } })).status).toBe(200);
      const wrongPassword = `Basic ${Buffer.from('admin:wrong').toString('base64')}`;
      const attempts: Record<string, string>[] = [{}, { authorization: wrongPassword }, { authorization: 'Token admin:wrong' }, { authorization: `Bearer ${simulators.gate.token}` }];
      for (const headers of attempts) {
        const answer = await call<ErrorBody>(`${simulators.edge.url}/users/`, { headers });
        expect(answer.status).toBe(401);
        expect(answer.body).toEqual({ detail: 'Invalid username/password.' });
      }
    });

    it('pages users with a Link header built from the Host, following it to the end', async () => {
      const first = await api.edge<EdgeUserWire[]>('/users/');
      expect(first.body).toHaveLength(25);
      expect(first.headers.get('x-total-count')).toBeNull();
      const firstLinks = parseLinks(first.headers.get('link'));
      expect(Object.keys(firstLinks).sort()).toEqual(['last', 'next']);
      expect(firstLinks['next']).toBe(`${simulators.edge.url}/users/?page=2&per_page=25`);
      expect(first.body[0]?.url).toBe(`${simulators.edge.url}/users/${first.body[0]?.id}/`);
      expect(first.body[0]?.access_tokens_url).toBe(`${first.body[0]?.url}tokens/`);
      expect(first.body.every((user) => user.password === undefined)).toBe(true);

      const ids: string[] = [];
      let url: string | undefined = `${simulators.edge.url}/users/?per_page=100`;
      let lastLinks: Record<string, string> = {};
      while (url) {
        const page: Answer<EdgeUserWire[]> = await api.edgeUrl<EdgeUserWire[]>(url);
        ids.push(...page.body.map((user) => user.id));
        lastLinks = parseLinks(page.headers.get('link'));
        url = lastLinks['next'];
      }
      expect(Object.keys(lastLinks).sort()).toEqual(['first', 'prev']);
      expect(ids).toHaveLength(dataset.edgeUsers.length);
      expect(new Set(ids).size).toBe(ids.length);

      expect((await api.edge<EdgeUserWire[]>('/users/?per_page=1000')).body).toHaveLength(100);
      const single = await api.edge<EdgeUserWire[]>('/users/?username=joanna');
      expect(single.headers.get('link')).toBeNull();
      for (const query of ['page=0', 'page=x', 'per_page=0']) expect((await api.edge(`/users/?${query}`)).status).toBe(400);
    });

    it('filters fuzzily (case-insensitive substrings) and ANDs filters', async () => {
      const bobs = await api.edge<EdgeUserWire[]>('/users?username=bob');
      expect(bobs.body.map((user) => user.username).sort()).toEqual(['BOBBY.X', 'Bob', 'bob', 'bob.smith', 'bobby']);
      const anded = await api.edge<EdgeUserWire[]>('/users/?username=bob&first_name=BOBBY');
      expect(anded.body.map((user) => user.username).sort()).toEqual(['BOBBY.X', 'bobby']);
      const inactive = await api.edge<EdgeUserWire[]>('/users/?is_active=false&per_page=100');
      expect(inactive.body.length).toBe(dataset.edgeUsers.filter((user) => !user.is_active).length);
      expect(inactive.body.every((user) => !user.is_active)).toBe(true);
      expect((await api.edge('/users/?is_active=maybe')).status).toBe(400);
    });

    it('reads a user, its tokens (never the plaintext) and its history, paged', async () => {
      const longHistory = dataset.edgeUsers.find((user) => user.username === LONG_HISTORY_USERNAME)!;
      const user = await api.edge<EdgeUserWire>(`/users/${longHistory.id}`);
      expect(user.body.login_history_url).toBe(`${simulators.edge.url}/users/${longHistory.id}/history/`);
      expect((await api.edge<ErrorBody>('/users/000000000000000000000000/')).status).toBe(404);

      const attempts: EdgeAttemptWire[] = [];
      let url: string | undefined = `${user.body.login_history_url}?per_page=50`;
      let pages = 0;
      while (url) {
        const page: Answer<EdgeAttemptWire[]> = await api.edgeUrl<EdgeAttemptWire[]>(url);
        attempts.push(...page.body);
        pages++;
        url = parseLinks(page.headers.get('link'))['next'];
      }
      expect(pages).toBe(3);
      expect(attempts).toHaveLength(LONG_HISTORY_LENGTH);
      expect(attempts.map((attempt) => attempt.attempted_on)).toEqual(longHistory.history.map((attempt) => attempt.attempted_on));
      expect(attempts.every((attempt) => EDGE_TIME.test(attempt.attempted_on))).toBe(true);

      const withTokens = dataset.edgeUsers.find((candidate) => candidate.tokens.length > 1)!;
      const tokens = await api.edge<EdgeTokenWire[]>(`/users/${withTokens.id}/tokens/`);
      expect(tokens.body).toHaveLength(withTokens.tokens.length);
      expect(tokens.body.every((token) => token.token === '' && /^\$2[ab]\$10\$/.test(token.hashed_token))).toBe(true);
      const one = await api.edge<EdgeTokenWire>(`/users/${withTokens.id}/tokens/${withTokens.tokens[0]!.id}`);
      expect(one.body).toMatchObject({ id: withTokens.tokens[0]!.id, token: '', url: `${simulators.edge.url}/users/${withTokens.id}/tokens/${withTokens.tokens[0]!.id}/` });
      const someoneElse = dataset.edgeUsers.find((candidate) => candidate !== withTokens)!;
      expect((await api.edge(`/users/${someoneElse.id}/tokens/${withTokens.tokens[0]!.id}/`)).status).toBe(404);
    });
  });

  describe('switch', () => {
    it('answers 401 without the header and 200 with success:false for a wrong token', async () => {
      const missing = await api.switchList('', {});
      expect(missing.status).toBe(401);
      expect(missing.body).toEqual({
        error_type: 'unauthenticated_error',
        success: false,
        error: { message: 'No header X-Auth-Token present', code: 110, reason: 'auth_token_not_provided' },
      });
      const wrong = await api.switchList('', { 'x-auth-token': 'nope' });
      expect(wrong.status).toBe(200);
      expect(wrong.body.success).toBe(false);
      expect(wrong.body.error).toEqual({ message: 'Incorrect token provided', code: 120, reason: 'incorrect_token_provided' });
    });

    it('pages 0-based, clamps per_page and orders by user_id ascending by default', async () => {
      const first = await api.switchList();
      expect(first.body.success).toBe(true);
      expect(first.body.payload).toMatchObject({ per_page: 30, page: 0, total: dataset.switchUsers.length });
      const ids = first.body.payload!.items.map((item) => item.user_id);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(ids[0]).toBe(Math.min(...dataset.switchUsers.map((user) => user.user_id)));
      const clamped = await api.switchList('?per_page=500&page=1');
      expect(clamped.body.payload).toMatchObject({ per_page: 100, page: 1 });
      expect(clamped.body.payload!.items[0]?.user_id).toBe([...dataset.switchUsers].sort((a, b) => a.user_id - b.user_id)[100]?.user_id);
      const beyond = await api.switchList('?page=99');
      expect(beyond.body.payload?.items).toEqual([]);
    });

    it('answers 400 validation errors for bad parameters', async () => {
      for (const query of ['?page=abc', '?per_page=0', '?order_by=bogus', '?order_dir=up', '?is_online=x', '?user_id_in=1,a', '?create_time_gt=yesterday']) {
        const answer = await api.switchList(query);
        expect(answer.status, query).toBe(400);
        expect(answer.body).toMatchObject({ success: false, error_type: 'validation_error', error: { code: 400, reason: 'invalid_parameter' } });
      }
    });

    it('orders by any field in either direction', async () => {
      const byName = await api.switchList('?order_by=name&order_dir=desc&per_page=100');
      const names = byName.body.payload!.items.map((item) => item.name);
      expect(names).toEqual([...names].sort().reverse());
      const byCreation = await api.switchList('?order_by=create_time&order_dir=asc&per_page=100');
      const created = byCreation.body.payload!.items.map((item) => item.create_time);
      expect(created).toEqual([...created].sort());
    });

    it('filters by substring, exact values, time ranges, null-ness and id lists', async () => {
      const bobs = await api.switchList('?name=BOB');
      expect(bobs.body.payload!.items.map((item) => item.name).sort()).toEqual(['bob', 'bob.smith', 'bobby', 'bobcat']);

      const carriers = await api.switchList('?user_type=carrier&per_page=100');
      expect(carriers.body.payload!.total).toBe(dataset.switchUsers.filter((user) => user.user_type === 'carrier').length);
      expect(carriers.body.payload!.items.every((item) => item.carrier_name !== null && item.role_id === 2)).toBe(true);
      const tele = await api.switchList('?carrier_name=TELE&per_page=100');
      expect(tele.body.payload!.items.every((item) => item.carrier_name?.toLowerCase().includes('tele'))).toBe(true);
      expect(tele.body.payload!.total).toBeGreaterThan(0);

      const neverLoggedIn = await api.switchList('?last_login_time_isnull=true');
      const loggedIn = await api.switchList('?last_login_time_isnull=false&is_online=1');
      expect(neverLoggedIn.body.payload!.items.every((item) => item.last_login_time === null)).toBe(true);
      expect(loggedIn.body.payload!.items.every((item) => item.last_login_time !== null && item.is_online === 1)).toBe(true);

      const [a, b] = dataset.switchUsers;
      const picked = await api.switchList(`?user_id_in=${a!.user_id},${b!.user_id},999999`);
      expect(picked.body.payload!.items.map((item) => item.user_id)).toEqual([a!.user_id, b!.user_id]);

      const bound = '2024-06-01T00:00:00';
      const recent = await api.switchList(`?create_time_gt=${bound}&per_page=100`);
      const expectedRecent = dataset.switchUsers.filter((user) => Date.parse(user.create_time) > Date.parse(`${bound}Z`)).length;
      expect(recent.body.payload!.total).toBe(expectedRecent);
      const window = await api.switchList('?last_login_time_gt=2025-01-01&last_login_time_lt=2025-02-01T00:00:00Z');
      expect(window.body.payload!.items.every((item) => item.last_login_time! > '2025-01' && item.last_login_time! < '2025-02')).toBe(true);
    });
  });

  describe('request log and stats', () => {
    it('records every API request with its x-request-id, but not the /__simulator/ calls', async () => {
      simulators.resetRequests();
      await api.gate('/user/?limit=1', { headers: { 'x-request-id': 'req-1' } });
      await api.switchList('?per_page=1', { 'x-auth-token': simulators.switch.token, 'x-request-id': 'req-2' });
      const stats = await call<{ requests: number }>(`${simulators.switch.url.replace('/v1', '')}/__simulator/stats`);
      expect(stats.body).toEqual({ requests: 1, connections: expect.any(Number), faulted: 0, faultedByAction: {} });
      expect(simulators.requests.map((request) => [request.upstream, request.method, request.path, request.requestId, request.status])).toEqual([
        ['gate', 'GET', '/api/v1/user/', 'req-1', 200],
        ['switch', 'GET', '/v1/user/list', 'req-2', 200],
      ]);
      expect(simulators.requests[0]?.query.get('limit')).toBe('1');
      const reset = await call<{ requests: number }>(`${simulators.switch.url.replace('/v1', '')}/__simulator/reset`, { method: 'POST' });
      expect(reset.body).toEqual({ requests: 0, connections: 0, faulted: 0, faultedByAction: {} });
      expect((await call<{ requests: number }>(`${simulators.gate.url.replace('/api/v1', '')}/__simulator/stats`)).body).toEqual({
        requests: 1,
        connections: expect.any(Number),
        faulted: 0,
        faultedByAction: {},
      });
      expect(simulators.requests).toHaveLength(2);
    });

    it('counts the connections that carried API requests, each once: those opened since the last reset', async () => {
      const origin = new URL(simulators.gate.url).origin;
      const path = `${new URL(simulators.gate.url).pathname}/user/?limit=1`;
      const headers = { authorization: `Bearer ${simulators.gate.token}` };
      const connectionsCounted = async () => (await call<{ connections: number }>(`${origin}/__simulator/stats`)).body.connections;
      await call(`${origin}/__simulator/reset`, { method: 'POST' });
      const first = new Client(origin);
      const second = new Client(origin);
      try {
        for (let index = 0; index < 3; index++) await (await first.request({ method: 'GET', path, headers })).body.dump();
        expect(await connectionsCounted()).toBe(1);
        await (await second.request({ method: 'GET', path, headers })).body.dump();
        expect(await connectionsCounted()).toBe(2);
        await call(`${origin}/__simulator/reset`, { method: 'POST' });
        // Kept open across the reset: reused, not opened again.
        await (await first.request({ method: 'GET', path, headers })).body.dump();
        expect(await connectionsCounted()).toBe(0);
        expect(simulators.stats('gate').requests).toBe(1);
      } finally {
        await Promise.all([first.close(), second.close()]);
      }
    });
  });
});

describe('simulated latency', () => {
  it('delays responses and lets concurrent calls overlap', async () => {
    const simulators = await startSimulators({ latencyMs: 60 });
    try {
      const api = clients(simulators);
      await Promise.all([api.gate('/user/?limit=1'), api.edge('/users/?per_page=1'), api.switchList('?per_page=1')]);
      expect(simulators.requests).toHaveLength(3);
      for (const request of simulators.requests) expect(request.endedAt - request.startedAt).toBeGreaterThanOrEqual(55);
      const latestStart = Math.max(...simulators.requests.map((request) => request.startedAt));
      const earliestEnd = Math.min(...simulators.requests.map((request) => request.endedAt));
      expect(latestStart).toBeLessThan(earliestEnd);
    } finally {
      await simulators.close();
    }
  });
});

describe('simulators (writes)', () => {
  let simulators: Simulators;
  let api: ReturnType<typeof clients>;

  beforeAll(async () => {
    simulators = await startSimulators();
    api = clients(simulators);
  });
  afterAll(() => simulators.close());

  describe('gate /user/', () => {
    it('validates POST bodies DRF-style and rejects malformed JSON', async () => {
      const missing = await api.gateWrite<ErrorBody>('POST', '/user/', {});
      expect(missing.status).toBe(400);
      expect(missing.body).toEqual({
        username: ['This field is required.'],
        email: ['This field is required.'],
        password: ['This field is required.'],
      });
      const taken = await api.gateWrite<ErrorBody>('POST', '/user/', { username: 'bob', email: 'x@acme.com', password: 'pw' });
      expect(taken.status).toBe(400);
      expect(taken.body).toEqual({ username: ['A user with that username already exists.'] });
      const badEmail = await api.gateWrite<ErrorBody>('POST', '/user/', { username: 'zz', email: 'nope', password: 'pw' });
      expect(badEmail.body).toEqual({ email: ['Enter a valid email address.'] });
      const malformed = await api.gate<ErrorBody>('/user/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":' });
      expect(malformed.status).toBe(400);
      expect(malformed.body.detail).toMatch(/^JSON parse error/);
    });

    it('creates, patches (merging profile), replaces and deletes a user', async () => {
      const created = await api.gateWrite<GateUserWire>('POST', '/user/', {
        username: 'jane.smith', email: 'jane.smith@acme.com', password: 'secure_password123', organization: 'acme',
        profile: { first_name: 'Jane', last_name: 'Smith', role: 'user' },
      });
      expect(created.status).toBe(201);
      expect(created.body.id).toMatch(/^\d+$/);
      expect(created.body.password).toBeUndefined();
      expect(created.body.profile).toMatchObject({ first_name: 'Jane', role: 'user' });
      expect(created.body.profile['created_at']).toMatch(GATE_TIME);
      expect(created.body.profile).not.toHaveProperty('updated_at');

      const patched = await api.gateWrite<GateUserWire>('PATCH', '/user/username/jane.smith/', { profile: { role: 'senior_admin' } });
      expect(patched.status).toBe(200);
      expect(patched.body.profile).toMatchObject({ first_name: 'Jane', last_name: 'Smith', role: 'senior_admin' });
      expect(patched.body.profile['updated_at']).toMatch(GATE_TIME);
      expect(patched.body.email).toBe('jane.smith@acme.com');

      const replaced = await api.gateWrite<GateUserWire>('PUT', `/user/${created.body.id}/`, {
        username: 'jane.doe', email: 'jane.doe@globex.com', organization: 'globex', profile: { first_name: 'Jane', last_name: 'Doe' },
      });
      expect(replaced.status).toBe(200);
      expect(replaced.body).toMatchObject({ id: created.body.id, username: 'jane.doe', organization: 'globex' });
      expect(replaced.body.profile).not.toHaveProperty('role');
      expect(replaced.body.profile['created_at']).toBe(created.body.profile['created_at']);
      const putMissing = await api.gateWrite<ErrorBody>('PUT', `/user/${created.body.id}/`, { username: 'jane.doe' });
      expect(putMissing.body).toEqual({ email: ['This field is required.'] });

      expect((await api.gate(`/user/username/jane.doe/`, { method: 'DELETE' })).status).toBe(204);
      expect((await api.gate(`/user/${created.body.id}/`)).status).toBe(404);
      expect((await api.gate(`/user/${created.body.id}/`, { method: 'DELETE' })).status).toBe(404);
    });
  });

  describe('gate /user_token/', () => {
    it('creates with a generated token, 409 on a taken username', async () => {
      const missing = await api.gateWrite<ErrorBody>('POST', '/user_token/', { username: 'new_user', email: 'n@x.com' });
      expect(missing.body).toEqual({ organization: ['This field is required.'] });
      const taken = await api.gateWrite<ErrorBody>('POST', '/user_token/', { username: 'bob', email: 'b@x.com', organization: 'acme' });
      expect(taken.status).toBe(409);
      expect(taken.body.detail).toEqual(expect.any(String));

      const created = await api.gateWrite<UserTokenWire>('POST', '/user_token/', {
        username: 'new_user', email: 'newuser@company.com', organization: 'tech_startup', is_active: true,
        initial_balance_seconds: 172800, profile: { max_sessions: 3, access_level: 'premium' },
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ username: 'new_user', balance_seconds: 172800, last_login: null, is_active: true });
      expect(created.body.token).toMatch(/^tok_[0-9a-f]+$/);

      const patched = await api.gateWrite<UserTokenWire>('PATCH', `/user_token/${created.body.id}/`, { balance_seconds: 345600, profile: { max_sessions: 4 } });
      expect(patched.body.balance_seconds).toBe(345600);
      expect(patched.body.profile).toEqual({ max_sessions: 4, access_level: 'premium' });
      expect(patched.body.updated_at).toMatch(GATE_TIME);
      expect(patched.body.token).toBe(created.body.token);
      expect((await api.gateWrite<ErrorBody>('PATCH', `/user_token/${created.body.id}/`, { balance_seconds: -1 })).status).toBe(400);

      const replaced = await api.gateWrite<UserTokenWire>('PUT', `/user_token/${created.body.id}/`, {
        username: 'updated_user', email: 'updated@company.com', organization: 'enterprise_corp', balance_seconds: 259200,
        profile: { max_sessions: 5 },
      });
      expect(replaced.body).toMatchObject({ username: 'updated_user', balance_seconds: 259200, profile: { max_sessions: 5 } });
      expect((await api.gate(`/user_token/${created.body.id}/`, { method: 'DELETE' })).status).toBe(204);
      expect((await api.gate(`/user_token/${created.body.id}/`)).status).toBe(404);
    });

    it('refuses to delete a token with active sessions', async () => {
      const busy = simulators.dataset.userTokens.find((token) => token.activeSessions > 0)!;
      const answer = await api.gate<ErrorBody>(`/user_token/${busy.id}/`, { method: 'DELETE' });
      expect(answer.status).toBe(409);
      expect((await api.gate(`/user_token/${busy.id}/`)).status).toBe(200);
    });
  });

  describe('gate /user_extra/', () => {
    it('creates once per parent and deep-merges PATCHes', async () => {
      const owner = simulators.dataset.people.find((candidate) => candidate.username === NO_SWITCH_NO_EXTRA_USERNAME)!;
      expect((await api.gateWrite<ErrorBody>('POST', '/user_extra/', {})).body).toEqual({ parent: ['This field is required.'] });
      expect((await api.gateWrite<ErrorBody>('POST', '/user_extra/', { parent: 1 })).status).toBe(400);
      const bobId = simulators.dataset.people.find((candidate) => candidate.username === 'bob')!.gateUserId;
      expect((await api.gateWrite<ErrorBody>('POST', '/user_extra/', { parent: Number(bobId) })).status).toBe(409);

      const created = await api.gateWrite<UserExtraWire>('POST', '/user_extra/?device_info=true', {
        parent: Number(owner.gateUserId),
        preferences: { theme: 'light', notifications: true, language: 'en', nested: { a: 1, b: 2 } },
        custom_fields: { department: 'Marketing', employee_id: 'EMP002' },
        device_info: { assigned_devices: [{ device_id: 'DEV-900', device_type: 'laptop' }] },
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ parent: Number(owner.gateUserId), organization_id: owner.organizationId });
      expect(created.body.device_info?.device_count).toBe(1);

      const patched = await api.gateWrite<UserExtraWire>('PATCH', `/user_extra/${created.body.id}/`, {
        preferences: { theme: 'dark', nested: { b: 3 } },
        custom_fields: { access_level: 'senior_manager', manager_id: null },
      });
      expect(patched.status).toBe(200);
      expect(patched.body.preferences).toEqual({ theme: 'dark', notifications: true, language: 'en', nested: { a: 1, b: 3 } });
      expect(patched.body.custom_fields).toEqual({ department: 'Marketing', employee_id: 'EMP002', access_level: 'senior_manager', manager_id: null });
      expect(patched.body.device_info).toBeUndefined();

      const replaced = await api.gateWrite<UserExtraWire>('PUT', `/user_extra/${created.body.id}/`, {
        parent: Number(owner.gateUserId), preferences: { theme: 'auto' }, custom_fields: { department: 'Sales' },
      });
      expect(replaced.body.preferences).toEqual({ theme: 'auto' });
      expect(replaced.body.custom_fields).toEqual({ department: 'Sales' });
      expect((await api.gate(`/user_extra/${created.body.id}/`, { method: 'DELETE' })).status).toBe(204);
      expect((await api.gate(`/user_extra/${created.body.id}/`)).status).toBe(404);
    });
  });

  describe('edge', () => {
    it('creates users (400 on missing fields or a taken username)', async () => {
      const missing = await api.edgeWrite<ErrorBody>('POST', '/users/', { username: 'myuser' });
      expect(missing.status).toBe(400);
      expect(Object.keys(missing.body).sort()).toEqual(['email', 'first_name', 'last_name', 'password']);
      const taken = await api.edgeWrite<ErrorBody>('POST', '/users/', { username: 'Bob', password: 'p', first_name: 'a', last_name: 'b', email: 'a@b.co' });
      expect(taken.status).toBe(400);
      const created = await api.edgeWrite<EdgeUserWire>('POST', '/users/', {
        username: 'myuser', password: 'Pass@1233', first_name: 'johnny', last_name: 'Doe', email: 'johnny@doe.com',
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ username: 'myuser', is_active: true, memberships: ['WHITE'] });
      expect(created.body.password).toBeUndefined();
      expect(created.body.url).toBe(`${simulators.edge.url}/users/${created.body.id}/`);
    });

    it('PATCHes with 202 and no body, then DELETEs', async () => {
      const target = simulators.dataset.edgeUsers.find((user) => user.username === 'bob.smith')!;
      const patched = await api.edgeWrite('PATCH', `/users/${target.id}/`, { first_name: 'joseph', is_active: false });
      expect(patched.status).toBe(202);
      expect(patched.text).toBe('');
      const reread = await api.edge<EdgeUserWire>(`/users/${target.id}/`);
      expect(reread.body).toMatchObject({ first_name: 'joseph', is_active: false });
      expect((await api.edgeWrite<ErrorBody>('PATCH', `/users/${target.id}/`, { is_active: 'yes' })).status).toBe(400);
      expect((await api.edgeWrite('PATCH', '/users/nope/', { first_name: 'x' })).status).toBe(404);
      expect((await api.edge(`/users/${target.id}/`, { method: 'DELETE' })).status).toBe(204);
      expect((await api.edge(`/users/${target.id}/`)).status).toBe(404);
    });

    it('shows a new token plaintext once, then manages it', async () => {
      const owner = simulators.dataset.edgeUsers.find((user) => user.username === 'bob')!;
      expect((await api.edgeWrite<ErrorBody>('POST', `/users/${owner.id}/tokens/`, {})).body).toEqual({ title: ['This field is required.'] });
      const created = await api.edgeWrite<EdgeTokenWire>('POST', `/users/${owner.id}/tokens/`, { title: 'My New Token' });
      expect(created.status).toBe(201);
      expect(created.body.token).toMatch(/^[0-9a-f]{40}$/);
      expect(created.body.user).toBe(owner.id);
      expect(created.body.hashed_token).toMatch(/^\$2b\$10\$/);

      const path = `/users/${owner.id}/tokens/${created.body.id}/`;
      expect((await api.edge<EdgeTokenWire>(path)).body).toMatchObject({ token: '', active: true, hashed_token: created.body.hashed_token });
      const listed = await api.edge<EdgeTokenWire[]>(`/users/${owner.id}/tokens/`);
      expect(listed.body.find((token) => token.id === created.body.id)?.token).toBe('');

      const deactivated = await api.edgeWrite('PATCH', path, { active: false });
      expect(deactivated.status).toBe(202);
      expect(deactivated.text).toBe('');
      expect((await api.edge<EdgeTokenWire>(path)).body.active).toBe(false);
      expect((await api.edgeWrite('PATCH', path, {})).status).toBe(400);
      expect((await api.edge(path, { method: 'DELETE' })).status).toBe(204);
      expect((await api.edge(path)).status).toBe(404);
    });
  });
});
