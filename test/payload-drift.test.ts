import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { startSimulators, type Simulators } from '../src/simulators/index.ts';
import { DRIFT_SAMPLE_EVERY, findDrift } from '../src/upstreams/drift.ts';
import {
  edgeAccessTokenListSchema,
  edgeAccessTokenSchema,
  edgeCreatedAccessTokenSchema,
  edgeLoginAttemptSchema,
  edgeLoginHistorySchema,
  edgeUserListSchema,
  edgeUserSchema,
} from '../src/upstreams/edge/types.ts';
import {
  gateUserExtraListSchema,
  gateUserExtraSchema,
  gateUserListSchema,
  gateUserSchema,
  gateUserTokenListSchema,
  gateUserTokenSchema,
} from '../src/upstreams/gate/types.ts';
import type { PayloadDrift } from '../src/upstreams/observer.ts';
import { switchReplySchema, switchUserPageSchema, switchUserSchema } from '../src/upstreams/switch/types.ts';
import { parsePayload } from '../src/upstreams/validation.ts';

// The docs' own examples (../shared/upstream-apis), each with every key its docs show anywhere.
const gateUser = {
  id: '12345',
  username: 'john.doe',
  email: 'john.doe@acme.com',
  organization: 'acme',
  profile: { first_name: 'John', last_name: 'Doe', role: 'admin', created_at: '2024-01-15T10:30:00Z', updated_at: '2024-01-20T16:45:00Z', last_login: '2024-01-20T09:15:00Z' },
};
const gateToken = {
  id: 15,
  username: 'new_user',
  email: 'newuser@company.com',
  organization: 'tech_startup',
  is_active: true,
  token: 'tok_new456user789',
  balance_seconds: 158400,
  created_at: '2024-01-21T16:30:00Z',
  updated_at: '2024-01-23T10:45:00Z',
  last_login: '2024-01-22T08:15:00Z',
  profile: { max_sessions: 3, access_level: 'premium', total_usage_seconds: 14400, last_activity: '2024-01-22T12:30:00Z' },
};
const gateExtra = {
  id: 158,
  parent: 42,
  organization_id: '12345',
  preferences: { theme: 'dark', notifications: false, language: 'es', timezone: 'America/Los_Angeles' },
  custom_fields: { department: 'Engineering', employee_id: 'EMP002' },
  device_info: {
    assigned_devices: [
      { device_id: 'DEV-002', device_type: 'laptop', serial_number: 'XYZ789012', model: 'MacBook Pro 16', assigned_date: '2024-01-15T10:30:00Z', status: 'active' },
    ],
    device_count: 1,
  },
  created_at: '2024-01-15T10:30:00Z',
  updated_at: '2024-02-10T16:45:00Z',
};
const gateList = <T>(item: T) => ({ count: 45, next: 'https://gate.zequenze.com/api/v1/user/?limit=20&offset=20', previous: null, results: [item] });
const edgeUser = {
  id: '568d3cec9232a6ec4a5d95e5',
  url: 'http://192.168.1.10:8080/api/users/568d3cec9232a6ec4a5d95e5/',
  date_joined: '2016-01-06T16:12:28.270000',
  previous_login_date: null,
  preferences: null,
  username: 'bob',
  first_name: 'bob',
  last_name: 'bob',
  email: 'bob@example.com',
  description: '',
  is_active: true,
  is_superuser: true,
  is_staff: true,
  can_inbox: true,
  allow_rest_access: true,
  organization: null,
  memberships: ['WHITE', 'GREEN', 'AMBER', 'RED'],
  access_tokens_url: 'http://192.168.1.10:8080/api/users/568d3cec9232a6ec4a5d95e5/tokens/',
  login_history_url: 'http://192.168.1.10:8080/api/users/568d3cec9232a6ec4a5d95e5/history/',
};
const edgeToken = {
  id: '56c3e52a3d7b24185cd9e566',
  title: 'Dashboard',
  url: 'http://192.168.1.10:8080/api/users/568d3cee9232a6ec51dc5fdc/tokens/56c3e52a3d7b24185cd9e566/',
  token: '',
  hashed_token: '$2a$10$lMhO5nFPvkdaMjyfX12jye34I7D2NIAuoOE378Kw8OL80ap4ZhZJK',
  active: true,
  created_on: '2016-02-17T03:12:42.746000',
  updated_on: '2016-02-17T03:12:42.746000',
  last_used: null,
  expires: '2017-02-16T03:12:42.746000',
};
const edgeCreatedToken = {
  last_used: null,
  title: 'My New Token',
  expires: '2017-10-18T19:49:05.238',
  token: 'db70a76277df3947cf53010974ae9d2f06efbfe6',
  created_on: '2016-10-18T19:49:05.238',
  user: '58066eba1078794184e40514',
  hashed_token: '$2b$10$TepNUdVBW0PtH/tveveQa.fYIEY/3IHlKqFV.LL0pnIzu5Uxibe2K',
  active: true,
  updated_on: '2016-10-18T19:49:05.238',
  id: '58067cb11078794187d3a240',
};
const edgeAttempt = { success: true, user_agent: null, attempted_on: '2016-02-18T02:29:34.119000', remote_address: null };
const switchUser = {
  user_id: 1728, passwd: '$2b$12$.7zF2wbpMawWVJtQQ7jou.g9NWYoeWy7kSmUGMx7psC9dm13/fBIe', user_type: 'client', active: true,
  carrier_name: null, default_mod: '', reseller_id: null, outbound_report: true, client_limits: [], last_name: null, role_id: 1,
  last_login_time: null, all_termination: true, report_fields: null, client: null, report_count: '1 Hour', name: 'rt',
  first_name: null, cdr_expire: null, is_preload: true, landing_page: null, login_ip: null, default_mod2: '', avatar_id: null,
  create_user_id: null, create_time: '2018-02-15T03:02:04.870467+00:00', agent: null, report_group: true, auth_ip: [],
  default_billing_decimal: 4, card_id: null, email: '[email protected]', last_seen: null, is_online: 2, role_name: 'Client',
  client_id: 2897, fullname: null, cdr_api_token: null, show_carrier_trunk_drop_only: false,
};
const switchPage = { per_page: 30, total: 160, page: 0, items: [switchUser] };

const cases: { name: string; schema: z.ZodType; sample: Record<string, unknown> | unknown[]; required: string[] }[] = [
  { name: 'gate user', schema: gateUserSchema, sample: gateUser, required: ['id', 'username'] },
  { name: 'gate user list', schema: gateUserListSchema, sample: gateList(gateUser), required: ['count', 'results'] },
  { name: 'gate user token', schema: gateUserTokenSchema, sample: gateToken, required: ['id', 'username'] },
  { name: 'gate user token list', schema: gateUserTokenListSchema, sample: gateList(gateToken), required: ['count', 'results'] },
  { name: 'gate user extra', schema: gateUserExtraSchema, sample: gateExtra, required: ['id', 'parent'] },
  { name: 'gate user extra list', schema: gateUserExtraListSchema, sample: gateList(gateExtra), required: ['count', 'results'] },
  { name: 'edge user', schema: edgeUserSchema, sample: edgeUser, required: ['id', 'username'] },
  { name: 'edge user list', schema: edgeUserListSchema, sample: [edgeUser], required: [] },
  { name: 'edge access token', schema: edgeAccessTokenSchema, sample: edgeToken, required: ['id'] },
  { name: 'edge access token list', schema: edgeAccessTokenListSchema, sample: [edgeToken], required: [] },
  { name: 'edge new access token', schema: edgeCreatedAccessTokenSchema, sample: edgeCreatedToken, required: ['id', 'token'] },
  { name: 'edge login attempt', schema: edgeLoginAttemptSchema, sample: edgeAttempt, required: [] },
  { name: 'edge login history', schema: edgeLoginHistorySchema, sample: [edgeAttempt], required: [] },
  { name: 'switch user', schema: switchUserSchema, sample: switchUser, required: ['user_id', 'name'] },
  { name: 'switch user page', schema: switchUserPageSchema, sample: switchPage, required: ['total', 'items'] },
  { name: 'switch reply', schema: switchReplySchema, sample: { success: true, payload: switchPage }, required: ['payload'] },
];

/**
 * Values kept as they come, whatever keys they hold: gate's free-form maps, and switch's `payload`,
 * which its reply hands on unread (to the page schema).
 */
const FREE_FORM = new Set(['preferences', 'custom_fields', 'payload']);

/** The sample with `extra` added to every object in it, at every depth but inside free-form values. */
function withKeyEverywhere(value: unknown, extra: string): unknown {
  if (Array.isArray(value)) return value.map((item) => withKeyEverywhere(item, extra));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value).map(([key, field]) => [key, FREE_FORM.has(key) ? field : withKeyEverywhere(field, extra)]);
  return { ...Object.fromEntries(entries), [extra]: 'extra-value' };
}

describe('what every payload schema takes', () => {
  it.each(cases)('$name: fails only without a required key, never over an extra one', ({ schema, sample, required }) => {
    const parsed = schema.safeParse(sample);
    expect(parsed.success).toBe(true);
    // An extra key at every level is dropped: the record reads exactly as without it.
    const extended = schema.safeParse(withKeyEverywhere(sample, 'added_later'));
    expect(extended.success).toBe(true);
    expect(JSON.stringify(extended.data)).toBe(JSON.stringify(parsed.data));
    expect(JSON.stringify(extended.data)).not.toContain('extra-value');
    if (Array.isArray(sample)) return;
    const failingWithout = Object.keys(sample).filter((key) => {
      const { [key]: _dropped, ...rest } = sample;
      return !schema.safeParse(rest).success;
    });
    expect(failingWithout.sort()).toEqual([...required].sort());
    // And a mistyped required key fails too (switch's `payload` is typed by the page schema).
    for (const key of required.filter((key) => !FREE_FORM.has(key))) expect(schema.safeParse({ ...sample, [key]: { not: 'a scalar' } }).success).toBe(false);
  });

  it.each(cases)('$name: the docs` own example shows no unexpected key', ({ schema, sample }) => {
    const unexpected = [...findDrift(schema, sample)].filter((finding) => finding.startsWith('unexpected'));
    expect(unexpected).toEqual([]);
  });
});

describe('payload drift', () => {
  it('names each unexpected and each missing optional key once per payload, by dotted path with items as []', () => {
    const { email: _email, ...withoutEmail } = gateUser;
    const payload = gateList(withoutEmail);
    payload.results.push({ ...withoutEmail, profile: { ...gateUser.profile, timezone: 'Europe/Paris' } } as never);
    payload.results.push({ ...withoutEmail, profile: { ...gateUser.profile, timezone: 'Asia/Tokyo' } } as never);
    expect([...findDrift(gateUserListSchema, { ...payload, total_pages: 3 })].sort()).toEqual([
      'missing results[].email',
      'unexpected results[].profile.timezone',
      'unexpected total_pages',
    ]);
    // An absent nested object is one missing key; nothing inside it is walked.
    const { profile: _profile, ...withoutProfile } = gateUser;
    expect([...findDrift(gateUserSchema, withoutProfile)]).toEqual(['missing profile']);
    // A key that is null is present.
    expect([...findDrift(gateUserSchema, { ...gateUser, email: null, profile: null })]).toEqual([]);
    // Below the part of the reply parsed on its own (switch's `payload`).
    const { role_name: _roleName, ...item } = switchUser;
    expect([...findDrift(switchUserPageSchema, { ...switchPage, items: [{ ...item, sip: 1 }] }, 'payload')].sort()).toEqual([
      'missing payload.items[].role_name',
      'unexpected payload.items[].sip',
    ]);
  });

  it('finds nothing missing of what the docs show in some answers only: write answers` `updated_at`, the balance and devices without their flags', () => {
    const { updated_at: _updated, last_login: _login, ...readProfile } = gateUser.profile;
    expect([...findDrift(gateUserSchema, { ...gateUser, profile: readProfile })]).toEqual([]);
    const { balance_seconds: _balance, updated_at: _tokenUpdated, ...unflaggedToken } = gateToken;
    const { total_usage_seconds: _usage, last_activity: _activity, ...unflaggedProfile } = gateToken.profile;
    expect([...findDrift(gateUserTokenListSchema, gateList({ ...unflaggedToken, profile: unflaggedProfile }))]).toEqual([]);
    const { device_info: _devices, ...unflaggedExtra } = gateExtra;
    expect([...findDrift(gateUserExtraSchema, unflaggedExtra)]).toEqual([]);
    // What every answer shows is still missed when it is not there.
    const { created_at: _created, ...withoutCreated } = readProfile;
    expect([...findDrift(gateUserSchema, { ...gateUser, profile: withoutCreated })]).toEqual(['missing profile.created_at']);
  });

  it('reports key names only: a key that looks like data is `*`, values never appear', () => {
    const payload = { ...gateUser, 'john.doe@acme.com': 'drift-marker-1', [`k${'x'.repeat(80)}`]: 'drift-marker-2', profile: { ...gateUser.profile, 'a b': 'drift-marker-3' } };
    expect([...findDrift(gateUserSchema, payload)].sort()).toEqual(['unexpected *', 'unexpected profile.*']);
    const drifts: PayloadDrift[] = [];
    parsePayload('gate', gateUserSchema, payload, 'user', { http: { observer: { payloadDrift: (drift) => drifts.push(drift) } }, route: '/user/{id}/' });
    expect(drifts).toEqual([
      { upstream: 'gate', route: '/user/{id}/', field: '*', kind: 'unexpected' },
      { upstream: 'gate', route: '/user/{id}/', field: 'profile.*', kind: 'unexpected' },
    ]);
    expect(JSON.stringify(drifts)).not.toMatch(/drift-marker|john/);
  });

  it(`checks the first payload of a schema on an upstream, then one in ${DRIFT_SAMPLE_EVERY}`, () => {
    const drifts: PayloadDrift[] = [];
    const http = { observer: { payloadDrift: (drift: PayloadDrift) => drifts.push(drift) } };
    const drifting = { ...gateUser, nickname: 'x' };
    for (let call = 0; call < 2 * DRIFT_SAMPLE_EVERY + 1; call++) {
      expect(parsePayload('gate', gateUserSchema, drifting, 'user', { http, route: '/user/{id}/' }).username).toBe('john.doe');
    }
    expect(drifts).toHaveLength(3);
    // Another upstream's HTTP layer (another gateway, another test) keeps its own count.
    const other = { observer: { payloadDrift: (drift: PayloadDrift) => drifts.push(drift) } };
    parsePayload('gate', gateUserSchema, drifting, 'user', { http: other, route: '/user/{id}/' });
    expect(drifts).toHaveLength(4);
  });

  it('names at most 64 distinct unexpected fields of a schema; past that, their parent with `*`', () => {
    const fields = new Set<string>();
    const http = { observer: { payloadDrift: (drift: PayloadDrift) => fields.add(drift.field) } };
    const flooded = { ...gateUser, ...Object.fromEntries(Array.from({ length: 100 }, (_, at) => [`key_${at}`, at])) };
    parsePayload('gate', gateUserSchema, flooded, 'user', { http, route: '/user/{id}/' });
    expect(fields.size).toBe(65);
    expect(fields).toContain('*');
  });

  it('never fails a payload over an observer that throws, nor reports a payload that failed', () => {
    const http = { observer: { payloadDrift: () => {
      throw new Error('observer broke');
    } } };
    expect(parsePayload('gate', gateUserSchema, { ...gateUser, nickname: 'x' }, 'user', { http, route: '/user/{id}/' }).username).toBe('john.doe');
    const heard: PayloadDrift[] = [];
    const listening = { observer: { payloadDrift: (drift: PayloadDrift) => heard.push(drift) } };
    expect(() => parsePayload('gate', gateUserSchema, { nickname: 'x' }, 'user', { http: listening, route: '/user/{id}/' })).toThrow(/gate sent an unexpected user/);
    expect(heard).toEqual([]);
  });
});

describe('the simulators, faithful to the docs', () => {
  let simulators: Simulators;
  beforeAll(async () => {
    simulators = await startSimulators({});
  });
  afterAll(() => simulators.close());

  const get = async (url: string, headers: Record<string, string>) => {
    const response = await fetch(url, { headers });
    expect(response.status).toBe(200);
    return (await response.json()) as unknown;
  };

  it('send no key the gateway does not know, and lack none the docs show in every answer, on any route it reads', async () => {
    const gate = { authorization: `Bearer ${simulators.gate.token}` };
    const edge = { authorization: `Token ${simulators.edge.token}` };
    const switchAuth = { 'x-auth-token': simulators.switch.token };
    const users = (await get(`${simulators.gate.url}/user/?limit=100`, gate)) as { results: { id: string; username: string }[] };
    const first = users.results[0]!;
    const tokens = (await get(`${simulators.gate.url}/user_token/?limit=100&balance=true`, gate)) as { results: { id: number }[] };
    const extras = (await get(`${simulators.gate.url}/user_extra/?limit=100&device_info=true`, gate)) as { results: { id: number }[] };
    // Without their flags, gate leaves out the balance and the devices: as its docs say.
    const tokensUnflagged = await get(`${simulators.gate.url}/user_token/?limit=100`, gate);
    const extrasUnflagged = await get(`${simulators.gate.url}/user_extra/?limit=100`, gate);
    const edgeUsers = (await get(`${simulators.edge.url}/users/`, edge)) as { id: string }[];
    const edgeId = edgeUsers[0]!.id;
    const switchReply = (await get(`${simulators.switch.url}/user/list?per_page=100`, switchAuth)) as { payload: unknown };
    const payloads: [string, z.ZodType, unknown, string?][] = [
      ['gate /user/', gateUserListSchema, users],
      ['gate /user/{id}/', gateUserSchema, await get(`${simulators.gate.url}/user/${first.id}/`, gate)],
      ['gate /user/username/{username}/', gateUserSchema, await get(`${simulators.gate.url}/user/username/${first.username}/`, gate)],
      ['gate /user_token/', gateUserTokenListSchema, tokens],
      ['gate /user_token/{id}/', gateUserTokenSchema, await get(`${simulators.gate.url}/user_token/${tokens.results[0]!.id}/?balance=true`, gate)],
      ['gate /user_token/ without balance', gateUserTokenListSchema, tokensUnflagged],
      ['gate /user_token/{id}/ without balance', gateUserTokenSchema, await get(`${simulators.gate.url}/user_token/${tokens.results[0]!.id}/`, gate)],
      ['gate /user_extra/ without device_info', gateUserExtraListSchema, extrasUnflagged],
      ['gate /user_extra/', gateUserExtraListSchema, extras],
      ['gate /user_extra/{id}/', gateUserExtraSchema, await get(`${simulators.gate.url}/user_extra/${extras.results[0]!.id}/?device_info=true`, gate)],
      ['edge /users/', edgeUserListSchema, edgeUsers],
      ['edge /users/{id}/', edgeUserSchema, await get(`${simulators.edge.url}/users/${edgeId}/`, edge)],
      ['edge /users/{id}/tokens/', edgeAccessTokenListSchema, await get(`${simulators.edge.url}/users/${edgeId}/tokens/`, edge)],
      ['edge /users/{id}/history/', edgeLoginHistorySchema, await get(`${simulators.edge.url}/users/${edgeId}/history/`, edge)],
      ['switch /user/list', switchReplySchema, switchReply],
      ['switch /user/list payload', switchUserPageSchema, switchReply.payload, 'payload'],
    ];
    const created = await fetch(`${simulators.edge.url}/users/${edgeId}/tokens/`, {
      method: 'POST',
      headers: { ...edge, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'drift check' }),
    });
    payloads.push(['edge POST /users/{id}/tokens/', edgeCreatedAccessTokenSchema, await created.json()]);
    const drift = payloads.flatMap(([route, schema, payload, at]) => [...findDrift(schema, payload, at)].map((finding) => `${route}: ${finding}`));
    expect(drift).toEqual([]);
    for (const [route, schema, payload] of payloads) expect(schema.safeParse(payload).success, route).toBe(true);
  });
});
