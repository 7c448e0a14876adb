// One deterministic dataset for the three independent upstreams, from a seeded PRNG: the same
// people on every run. Records are kept in the upstreams' own wire shape (snake_case, timestamps
// formatted as each upstream writes them), plus a few internal fields (`_…`) a server never sends.
// check.ts builds its expected answers from this same module, so the servers and the check agree
// on the data and only the gateway stands between them.

export const SEED = 0x5eed_2026;

/** mulberry32: small, fast, and good enough for test data. */
export function makeRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Random {
  readonly next: () => number;
  constructor(next: () => number) {
    this.next = next;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(probability: number): boolean {
    return this.next() < probability;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
  hex(length: number): string {
    let out = '';
    for (let index = 0; index < length; index++) out += Math.floor(this.next() * 16).toString(16);
    return out;
  }
  fromAlphabet(alphabet: string, length: number): string {
    let out = '';
    for (let index = 0; index < length; index++) out += alphabet[Math.floor(this.next() * alphabet.length)];
    return out;
  }
  shuffle<T>(items: T[]): T[] {
    for (let index = items.length - 1; index > 0; index--) {
      const other = Math.floor(this.next() * (index + 1));
      [items[index], items[other]] = [items[other] as T, items[index] as T];
    }
    return items;
  }
}

// ---------- timestamps, as each upstream writes them ----------

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

function datePart(date: Date): string {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
}

/** A moment with microseconds: what the upstreams keep, finer than the gateway's milliseconds. */
export interface Moment {
  ms: number;
  micro: number;
}

/** gate (Django REST framework): `2024-01-15T10:30:00Z`, or with microseconds when it has them. */
export function gateTime(moment: Moment, withFraction: boolean): string {
  const date = new Date(moment.ms);
  const fraction = withFraction ? `.${pad(date.getUTCMilliseconds(), 3)}${pad(moment.micro, 3)}` : '';
  return `${datePart(date)}${fraction}Z`;
}

/** edge: `2016-01-06T16:12:28.270000`, always six digits, no zone (UTC). */
export function edgeTime(moment: Moment): string {
  const date = new Date(moment.ms);
  return `${datePart(date)}.${pad(date.getUTCMilliseconds(), 3)}${pad(moment.micro, 3)}`;
}

/** switch (Postgres timestamptz): `2018-02-15T03:02:04.870467+00:00`, in the given offset (minutes). */
export function switchTime(moment: Moment, offsetMinutes: number): string {
  const local = new Date(moment.ms + offsetMinutes * 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const absolute = Math.abs(offsetMinutes);
  return `${datePart(local)}.${pad(local.getUTCMilliseconds(), 3)}${pad(moment.micro, 3)}${sign}${pad(Math.floor(absolute / 60))}:${pad(absolute % 60)}`;
}

/** What the gateway should answer for a moment: ISO-8601 UTC with milliseconds (cut, not rounded). */
export function isoOf(moment: Moment | null | undefined): string | null {
  return moment ? new Date(moment.ms).toISOString() : null;
}

function momentBetween(random: Random, fromMs: number, toMs: number): Moment {
  return { ms: Math.floor(fromMs + random.next() * (toMs - fromMs)), micro: random.int(0, 999) };
}

/** A moment gate writes without a fraction: the record must hold what the wire says. */
function wholeSeconds(moment: Moment): Moment {
  return { ms: Math.floor(moment.ms / 1000) * 1000, micro: 0 };
}

/** A gate moment: whole seconds unless this record's timestamps carry microseconds. */
function gateMoment(random: Random, fromMs: number, toMs: number, withFraction = false): Moment {
  const moment = momentBetween(random, fromMs, toMs);
  return withFraction ? moment : wholeSeconds(moment);
}

// ---------- the records ----------

export interface Organization {
  /** as gate names it on /user/ and /user_token/ */
  name: string;
  /** as gate numbers it on /user_extra/ (`organization_id`) */
  number: string;
}

export interface GateUser {
  id: string;
  username: string;
  email: string;
  organization: string;
  profile: {
    first_name: string;
    last_name: string;
    role: string;
    created_at: string;
    last_login: string | null;
    /** absent until the user was changed once */
    updated_at?: string;
  };
  _password_hash: string;
  _moments: { created: Moment; lastLogin: Moment | null; updated: Moment | null };
}

export interface GateToken {
  id: number;
  username: string;
  email: string;
  organization: string;
  is_active: boolean;
  token: string;
  /** sent only with ?balance=true; may carry a fraction (computed in real time) */
  _balance_seconds: number;
  created_at: string;
  last_login: string | null;
  updated_at?: string;
  profile: {
    max_sessions: number;
    access_level: string;
  };
  /** with ?balance=true only, in `profile` */
  _total_usage_seconds: number;
  _last_activity: string | null;
  /** DELETE answers 409 while this is above 0 */
  _active_sessions: number;
  _moments: { created: Moment; lastLogin: Moment | null; updated: Moment | null; lastActivity: Moment | null };
}

export interface GateDevice {
  device_id: string;
  device_type: string;
  serial_number: string;
  model: string;
  assigned_date: string;
  status: string;
  _assigned: Moment;
}

export interface GateExtra {
  id: number;
  parent: number;
  organization_id: string;
  preferences: Record<string, unknown>;
  custom_fields: Record<string, unknown>;
  /** with ?device_info=true only */
  _devices: GateDevice[];
  created_at: string;
  updated_at: string;
  _moments: { created: Moment; updated: Moment };
}

export interface EdgeUser {
  id: string;
  date_joined: string;
  previous_login_date: string | null;
  preferences: Record<string, unknown> | null;
  username: string;
  first_name: string | null;
  last_name: string | null;
  email: string;
  description: string;
  is_active: boolean;
  is_superuser: boolean;
  is_staff: boolean;
  can_inbox: boolean;
  allow_rest_access: boolean;
  organization: string | null;
  memberships: string[];
  _password_hash: string;
  _moments: { joined: Moment; previousLogin: Moment | null };
}

export interface EdgeToken {
  id: string;
  user: string;
  title: string;
  /** the plaintext: shown by POST only, else "" */
  _plaintext: string;
  hashed_token: string;
  active: boolean;
  created_on: string;
  updated_on: string;
  last_used: string | null;
  expires: string;
  _moments: { created: Moment; updated: Moment; lastUsed: Moment | null; expires: Moment };
}

export interface EdgeLogin {
  success: boolean;
  user_agent: string | null;
  attempted_on: string;
  remote_address: string | null;
  _moment: Moment;
}

export interface SwitchItem {
  user_id: number;
  passwd: string;
  user_type: string;
  active: boolean;
  carrier_name: string | null;
  default_mod: string;
  reseller_id: number | null;
  outbound_report: boolean;
  client_limits: unknown[];
  last_name: string | null;
  role_id: number;
  last_login_time: string | null;
  all_termination: boolean;
  report_fields: null;
  client: null;
  report_count: string;
  name: string;
  first_name: string | null;
  cdr_expire: null;
  is_preload: boolean;
  landing_page: null;
  login_ip: string | null;
  default_mod2: string;
  avatar_id: null;
  create_user_id: null;
  create_time: string;
  agent: null;
  report_group: boolean;
  auth_ip: string[];
  default_billing_decimal: number;
  card_id: null;
  email: string;
  last_seen: string | null;
  is_online: number;
  role_name: string;
  client_id: number | null;
  fullname: string | null;
  cdr_api_token: string | null;
  show_carrier_trunk_drop_only: boolean;
  _moments: { created: Moment; lastLogin: Moment | null; lastSeen: Moment | null };
}

export interface Credentials {
  gateToken: string;
  edgeUsername: string;
  edgePassword: string;
  /** the edge admin's own access token, for `Authorization: Token user:token` */
  edgeAdminToken: string;
  switchToken: string;
}

export interface Dataset {
  organizations: Organization[];
  gateUsers: GateUser[];
  gateTokens: GateToken[];
  gateExtras: GateExtra[];
  edgeUsers: EdgeUser[];
  /** by edge user id, in edge's order (oldest first) */
  edgeTokens: Map<string, EdgeToken[]>;
  /** by edge user id, newest first (as edge sends it) */
  edgeHistory: Map<string, EdgeLogin[]>;
  switchItems: SwitchItem[];
  credentials: Credentials;
  /** the public host each upstream believes it has (next/previous/Link/url name it) */
  publicOrigins: { gate: string; edge: string };
}

export const ORGANIZATIONS: Organization[] = [
  { name: 'northwind', number: '3101' },
  { name: 'initech', number: '3102' },
  { name: 'globex', number: '3103' },
  { name: 'umbrella', number: '3104' },
  { name: 'hooli', number: '3105' },
  { name: 'stark', number: '3106' },
  { name: 'acme', number: '3107' },
];

const FIRST_NAMES = ['anna', 'ben', 'carla', 'dmitri', 'elena', 'farid', 'greta', 'hugo', 'ines', 'jamal', 'kira', 'liam', 'maya', 'nils', 'olga', 'pavel', 'quinn', 'rosa', 'sven', 'tara', 'umar', 'vera', 'wen', 'xavi', 'yara', 'zoe', 'amir', 'bea', 'cyril', 'dora', 'emil', 'fay', 'gus', 'hana', 'ivo', 'jade'];
const LAST_NAMES = ['adams', 'brandt', 'costa', 'dubois', 'eriksen', 'fischer', 'garcia', 'horvat', 'ivanova', 'jensen', 'kowalski', 'larsen', 'moreau', 'novak', 'okafor', 'petrov', 'quist', 'rossi', 'silva', 'tanaka', 'ueda', 'vargas', 'weber', 'xu', 'yilmaz', 'zhang', 'baker', 'cole', 'dunn', 'ellis'];
const ROLES = ['user', 'admin', 'manager', 'engineer', 'support'];
const ACCESS_LEVELS = ['basic', 'standard', 'premium', 'enterprise'];
const DEPARTMENTS = ['Engineering', 'Sales', 'Marketing', 'Support', 'Finance', 'Legal'];
const DEVICE_TYPES: Array<[string, string[]]> = [
  ['laptop', ['MacBook Pro 16', 'ThinkPad X1', 'Dell XPS 13']],
  ['phone', ['iPhone 15 Pro', 'Pixel 8', 'Galaxy S24']],
  ['tablet', ['iPad Air', 'Galaxy Tab S9']],
];
const USER_AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) Safari/605.1.15',
  'python-requests/2.31.0',
  'curl/8.5.0',
];
const SWITCH_ROLES: Array<[number, string]> = [
  [1, 'Client'],
  [2, 'Carrier'],
  [3, 'Agent'],
  [4, 'Admin'],
];
const CARRIERS = ['Bobcat Telecom', 'Northline', 'Vox Carrier', 'Telco One', 'bobtail networks'];

/**
 * Usernames that fuzzy and substring filters confuse: `bob` finds all the bob-ish ones, `jon`
 * the jon-ish ones. Which upstream each is on is chosen, so that an exact match is needed.
 * Plus usernames whose characters a query string must escape (`+`, `@`).
 */
const FIXED_PEOPLE: Array<{ username: string; edge: boolean; switch: boolean; token: boolean; extra: boolean; history?: number; tokens?: number }> = [
  { username: 'bob', edge: true, switch: false, token: true, extra: true },
  { username: 'bob.smith', edge: true, switch: true, token: true, extra: false },
  { username: 'Bobby', edge: true, switch: true, token: false, extra: true },
  { username: 'bobby', edge: true, switch: true, token: true, extra: false },
  { username: 'bobby.tables', edge: false, switch: true, token: true, extra: true },
  { username: 'robert.bobson', edge: true, switch: true, token: true, extra: true },
  { username: 'jon', edge: false, switch: true, token: true, extra: true },
  { username: 'Jonny', edge: true, switch: false, token: true, extra: true, history: 75 },
  { username: 'jonathan', edge: true, switch: true, token: true, extra: true, history: 76 },
  { username: 'ann+ops', edge: true, switch: true, token: true, extra: true },
  { username: 'carl@field', edge: true, switch: true, token: true, extra: true, tokens: 80 },
  { username: 'dee-dee_99', edge: true, switch: true, token: true, extra: true },
  // Its fuzzy and substring searches match hundreds: the exact one is past several pages.
  { username: 'an', edge: true, switch: true, token: true, extra: true },
  { username: 'José.Núñez', edge: true, switch: true, token: true, extra: true },
];

/** Accounts only one upstream has, spelled like a person's username in another case. */
export const EDGE_ONLY_USERNAME = 'BOB';
export const SWITCH_ONLY_NAME = 'Bob';
/** Upstream-only accounts whose names a URL path would misread: their person is looked up by filter. */
export const EDGE_ONLY_ODD_USERNAME = 'ops/noc';
export const SWITCH_ONLY_ODD_NAME = '50%off..';

export const PEOPLE_COUNT = 600;
const DAY = 86_400_000;
const EPOCH_2022 = Date.UTC(2022, 0, 1);
const NOW = Date.UTC(2026, 10, 30);

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** A Mongo-style ObjectId: 4 bytes of seconds then 8 random bytes, so id order is creation order. */
function objectId(random: Random, moment: Moment): string {
  return Math.floor(moment.ms / 1000).toString(16).padStart(8, '0') + random.hex(16);
}

function ipv4(random: Random): string {
  return `${random.int(10, 223)}.${random.int(0, 255)}.${random.int(0, 255)}.${random.int(1, 254)}`;
}

export function buildDataset(): Dataset {
  const random = new Random(makeRandom(SEED));
  const credentials: Credentials = {
    gateToken: `gate-indep-${random.hex(24)}`,
    edgeUsername: 'indep-admin',
    edgePassword: `edge-pw-${random.hex(20)}`,
    edgeAdminToken: random.hex(40),
    switchToken: `sw.${random.fromAlphabet('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 48)}`,
  };

  // ---- usernames: the fixed ones spread through the list, the rest made from names ----
  const taken = new Set<string>();
  const people: Array<{ username: string; first: string; last: string; fixed?: (typeof FIXED_PEOPLE)[number] }> = [];
  const fixedAt = new Map<number, (typeof FIXED_PEOPLE)[number]>();
  FIXED_PEOPLE.forEach((fixed, index) => fixedAt.set(7 + index * 47, fixed));
  for (let index = 0; index < PEOPLE_COUNT; index++) {
    const fixed = fixedAt.get(index);
    if (fixed) {
      taken.add(fixed.username);
      people.push({ username: fixed.username, first: fixed.username.split(/[.+@_-]/)[0] ?? 'x', last: 'fixture', fixed });
      continue;
    }
    const first = random.pick(FIRST_NAMES);
    const last = random.pick(LAST_NAMES);
    const style = random.int(0, 4);
    let base = style === 0 ? `${first}.${last}` : style === 1 ? `${first[0]}${last}` : style === 2 ? `${first}_${last}` : style === 3 ? `${capitalize(first)}${capitalize(last)}` : `${first}.${last}`;
    let username = base;
    for (let suffix = 2; taken.has(username); suffix++) username = `${base}${suffix}`;
    taken.add(username);
    people.push({ username, first, last });
  }

  // ---- gate users: ids ascending with gaps, in list order ----
  const gateUsers: GateUser[] = [];
  let nextGateId = 10_001;
  const organizationOf = new Map<string, Organization>();
  for (const person of people) {
    const organization = random.chance(0.3) ? (ORGANIZATIONS[0] as Organization) : random.pick(ORGANIZATIONS);
    organizationOf.set(person.username, organization);
    const withFraction = random.chance(0.25);
    const created = gateMoment(random, EPOCH_2022, EPOCH_2022 + 700 * DAY, withFraction);
    const lastLogin = random.chance(0.75) ? gateMoment(random, created.ms, NOW, withFraction) : null;
    const updated = random.chance(0.3) ? gateMoment(random, created.ms, NOW, withFraction) : null;
    const safeLocal = person.username.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9.]/g, '.');
    const user: GateUser = {
      id: String(nextGateId),
      username: person.username,
      email: `${safeLocal}@${organization.name}.example.com`,
      organization: organization.name,
      profile: {
        first_name: capitalize(person.first),
        last_name: capitalize(person.last),
        role: random.pick(ROLES),
        created_at: gateTime(created, withFraction),
        last_login: lastLogin ? gateTime(lastLogin, withFraction) : null,
      },
      _password_hash: `pbkdf2_sha256$600000$${random.hex(22)}$${random.hex(43)}=`,
      _moments: { created, lastLogin, updated },
    };
    if (updated) user.profile.updated_at = gateTime(updated, withFraction);
    gateUsers.push(user);
    nextGateId += random.int(1, 4);
  }

  const hasPart = (index: number, part: 'token' | 'extra' | 'edge' | 'switch', share: number): boolean => {
    const fixed = people[index]?.fixed;
    return fixed ? fixed[part] : random.chance(share);
  };

  // ---- gate user tokens: about 90%, ids handed out in a shuffled order ----
  const tokenOwners = gateUsers.filter((_, index) => hasPart(index, 'token', 0.9));
  random.shuffle(tokenOwners);
  const gateTokens: GateToken[] = tokenOwners.map((user, index) => {
    const created = gateMoment(random, user._moments.created.ms, NOW - 30 * DAY);
    const lastLogin = random.chance(0.7) ? gateMoment(random, created.ms, NOW) : null;
    const updated = random.chance(0.25) ? gateMoment(random, created.ms, NOW) : null;
    const lastActivity = random.chance(0.8) ? gateMoment(random, created.ms, NOW) : null;
    const wholeBalance = random.chance(0.1) ? 0 : random.int(0, 600_000);
    // A few balances come with a fraction: gate computes them in real time.
    const balance = random.chance(0.06) ? wholeBalance + 0.5 : wholeBalance;
    const token: GateToken = {
      id: index + 1,
      username: user.username,
      // Mostly the user's email, sometimes another: the token's own is what counts.
      email: random.chance(0.9) ? user.email : `aaa.${user.username.toLowerCase().replace(/[^a-z0-9.]/g, '')}@billing.example.net`,
      // A few AAA accounts are filed under another organization than their user's.
      organization: random.chance(0.04) ? random.pick(ORGANIZATIONS.filter((other) => other.name !== user.organization)).name : user.organization,
      is_active: random.chance(0.85),
      token: `tok_${random.hex(12)}`,
      _balance_seconds: balance,
      created_at: gateTime(created, false),
      last_login: lastLogin ? gateTime(lastLogin, false) : null,
      profile: { max_sessions: random.int(1, 5), access_level: random.pick(ACCESS_LEVELS) },
      _total_usage_seconds: random.int(0, 2_000_000),
      _last_activity: lastActivity ? gateTime(lastActivity, false) : null,
      _active_sessions: random.chance(0.15) ? random.int(1, 3) : 0,
      _moments: { created, lastLogin, updated, lastActivity },
    };
    if (updated) token.updated_at = gateTime(updated, false);
    return token;
  });
  gateTokens.sort((a, b) => a.id - b.id);

  // ---- gate user extras: about 80%, ids in a shuffled order ----
  const extraOwners = gateUsers.filter((_, index) => hasPart(index, 'extra', 0.8));
  random.shuffle(extraOwners);
  const gateExtras: GateExtra[] = extraOwners.map((user, index) => {
    const created = gateMoment(random, user._moments.created.ms, NOW - 10 * DAY);
    const updated = gateMoment(random, created.ms, NOW);
    const deviceCount = random.chance(0.3) ? 0 : random.int(1, 3);
    const devices: GateDevice[] = [];
    for (let count = 0; count < deviceCount; count++) {
      const [type, models] = random.pick(DEVICE_TYPES);
      const assigned = gateMoment(random, created.ms, NOW);
      devices.push({
        device_id: `DEV-${random.int(100, 99999)}`,
        device_type: type,
        serial_number: random.fromAlphabet('ABCDEFGHJKLMNPQRSTUVWXYZ0123456789', 9),
        model: random.pick(models),
        assigned_date: gateTime(assigned, false),
        status: random.chance(0.8) ? 'active' : 'retired',
        _assigned: assigned,
      });
    }
    const preferences: Record<string, unknown> = {
      theme: random.pick(['dark', 'light', 'auto']),
      notifications: random.chance(0.6),
      language: random.pick(['en', 'es', 'fr', 'de']),
    };
    if (random.chance(0.4)) preferences['timezone'] = random.pick(['Europe/Paris', 'America/Los_Angeles', 'Asia/Tokyo']);
    const customFields: Record<string, unknown> = {
      department: random.pick(DEPARTMENTS),
      employee_id: `EMP${pad(random.int(1, 9999), 4)}`,
      access_level: random.pick(['junior', 'standard', 'senior']),
    };
    if (random.chance(0.3)) customFields['manager_id'] = random.chance(0.5) ? null : `EMP${pad(random.int(1, 9999), 4)}`;
    if (random.chance(0.2)) customFields['office'] = { building: random.pick(['A', 'B', 'C']), floor: random.int(1, 9) };
    return {
      id: index + 1,
      parent: Number(user.id),
      organization_id: (organizationOf.get(user.username) as Organization).number,
      preferences,
      custom_fields: customFields,
      _devices: devices,
      created_at: gateTime(created, false),
      updated_at: gateTime(updated, false),
      _moments: { created, updated },
    };
  });
  gateExtras.sort((a, b) => a.id - b.id);

  // ---- edge: the service account, then about 85% of the people, in order of joining ----
  const edgeUsers: EdgeUser[] = [];
  const makeEdgeUser = (username: string, first: string | null, last: string | null, email: string, organization: string | null, joined: Moment, admin: boolean): EdgeUser => {
    const previousLogin = random.chance(0.6) ? momentBetween(random, joined.ms, NOW) : null;
    const memberships = ['WHITE', 'GREEN', 'AMBER', 'RED'].filter((_, index) => index === 0 || random.chance(0.35));
    return {
      id: objectId(random, joined),
      date_joined: edgeTime(joined),
      previous_login_date: previousLogin ? edgeTime(previousLogin) : null,
      preferences: random.chance(0.3) ? { digest: random.pick(['daily', 'weekly']), tz: 'UTC' } : null,
      username,
      first_name: first,
      last_name: last,
      email,
      description: random.chance(0.3) ? random.pick(['analyst', 'on call', 'contractor']) : '',
      is_active: admin || random.chance(0.9),
      is_superuser: admin || random.chance(0.05),
      is_staff: admin || random.chance(0.1),
      can_inbox: random.chance(0.8),
      allow_rest_access: admin || random.chance(0.4),
      organization,
      memberships: admin ? ['WHITE', 'GREEN', 'AMBER', 'RED'] : memberships,
      _password_hash: `pbkdf2_sha256$260000$${random.hex(12)}$${random.hex(43)}=`,
      _moments: { joined, previousLogin },
    };
  };
  edgeUsers.push(makeEdgeUser(credentials.edgeUsername, 'Service', 'Account', 'ops@edge.example.org', null, { ms: EPOCH_2022 - 400 * DAY, micro: 1 }, true));
  gateUsers.forEach((user, index) => {
    if (!hasPart(index, 'edge', 0.85)) return;
    const joined = momentBetween(random, EPOCH_2022, NOW - 20 * DAY);
    // edge's names are its own: sometimes missing, sometimes spelled otherwise.
    const first = random.chance(0.1) ? null : user.profile.first_name;
    const last = random.chance(0.1) ? null : user.profile.last_name;
    const email = random.chance(0.85) ? user.email : `${user.username.toLowerCase().replace(/[^a-z0-9.]/g, '')}@edge-mail.example.org`;
    edgeUsers.push(makeEdgeUser(user.username, first, last, email, random.chance(0.6) ? user.organization : null, joined, false));
  });
  edgeUsers.push(makeEdgeUser(EDGE_ONLY_USERNAME, 'Bob', 'Upper', 'bob.upper@edge-mail.example.org', null, momentBetween(random, EPOCH_2022, NOW - 20 * DAY), false));
  edgeUsers.push(makeEdgeUser(EDGE_ONLY_ODD_USERNAME, null, null, 'noc@edge-mail.example.org', null, momentBetween(random, EPOCH_2022, NOW - 20 * DAY), false));
  edgeUsers.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  const edgeTokens = new Map<string, EdgeToken[]>();
  const edgeHistory = new Map<string, EdgeLogin[]>();
  for (const user of edgeUsers) {
    const isAdmin = user.username === credentials.edgeUsername;
    const fixed = FIXED_PEOPLE.find((person) => person.username === user.username);
    const tokenCount = isAdmin ? 1 : (fixed?.tokens ?? (random.chance(0.25) ? 0 : random.int(1, 4)));
    const tokens: EdgeToken[] = [];
    for (let count = 0; count < tokenCount; count++) {
      const created = momentBetween(random, user._moments.joined.ms, NOW);
      const updated = random.chance(0.3) ? momentBetween(random, created.ms, NOW) : created;
      const lastUsed = random.chance(0.6) ? momentBetween(random, created.ms, NOW) : null;
      const expires = { ms: created.ms + 365 * DAY, micro: created.micro };
      tokens.push({
        id: objectId(random, created),
        user: user.id,
        title: random.pick(['Dashboard', 'CLI', 'CI pipeline', 'Grafana', 'Backup job']),
        _plaintext: isAdmin ? credentials.edgeAdminToken : random.hex(40),
        hashed_token: `$2b$10$${random.fromAlphabet('./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 53)}`,
        active: random.chance(0.8),
        created_on: edgeTime(created),
        updated_on: edgeTime(updated),
        last_used: lastUsed ? edgeTime(lastUsed) : null,
        expires: edgeTime(expires),
        _moments: { created, updated, lastUsed, expires },
      });
    }
    tokens.sort((a, b) => (a.id < b.id ? -1 : 1));
    if (isAdmin && tokens[0]) tokens[0].active = true;
    edgeTokens.set(user.id, tokens);

    // 0 to ~150 attempts; about one account in ten longer than edge's page cap.
    const roll = random.next();
    const historyLength = isAdmin ? 3 : fixed?.history !== undefined ? fixed.history : roll < 0.12 ? 0 : roll < 0.35 ? random.int(1, 5) : roll < 0.88 ? random.int(6, 70) : random.int(76, 152);
    const history: EdgeLogin[] = [];
    for (let count = 0; count < historyLength; count++) {
      const moment = momentBetween(random, user._moments.joined.ms, NOW);
      history.push({
        success: random.chance(0.85),
        user_agent: random.chance(0.2) ? null : random.pick(USER_AGENTS),
        attempted_on: edgeTime(moment),
        remote_address: random.chance(0.15) ? null : ipv4(random),
        _moment: moment,
      });
    }
    history.sort((a, b) => b._moment.ms - a._moment.ms || b._moment.micro - a._moment.micro);
    edgeHistory.set(user.id, history);
  }

  // ---- switch: about 80%, plus its own admin; user ids handed out in a shuffled order ----
  const switchOwners = gateUsers.filter((_, index) => hasPart(index, 'switch', 0.8));
  const switchPeople: Array<{ name: string; first: string | null; last: string | null; email: string; admin: boolean }> = switchOwners.map((user) => ({
    name: user.username,
    first: random.chance(0.5) ? user.profile.first_name : null,
    last: random.chance(0.5) ? user.profile.last_name : null,
    email: user.email,
    admin: false,
  }));
  switchPeople.push({ name: 'indep-switch-admin', first: 'Switch', last: 'Admin', email: 'noc@switch.example.org', admin: true });
  switchPeople.push({ name: SWITCH_ONLY_NAME, first: 'Bob', last: null, email: 'bob@carrier.example.org', admin: false });
  switchPeople.push({ name: SWITCH_ONLY_ODD_NAME, first: null, last: null, email: 'promo@carrier.example.org', admin: false });
  random.shuffle(switchPeople);
  let nextSwitchId = 1700;
  const switchItems: SwitchItem[] = switchPeople.map((person) => {
    const userType = person.admin ? 'system' : random.pick(['client', 'client', 'carrier', 'agent']);
    const [roleId, roleName] = person.admin ? [4, 'Admin'] : userType === 'carrier' ? (SWITCH_ROLES[1] as [number, string]) : userType === 'agent' ? (SWITCH_ROLES[2] as [number, string]) : (SWITCH_ROLES[0] as [number, string]);
    const created = momentBetween(random, EPOCH_2022, NOW - 5 * DAY);
    const lastLogin = random.chance(0.6) ? momentBetween(random, created.ms, NOW) : null;
    const lastSeen = lastLogin && random.chance(0.7) ? momentBetween(random, lastLogin.ms, NOW) : null;
    // Postgres answers in its session's zone: mostly UTC, sometimes another offset.
    const offset = random.chance(0.15) ? random.pick([330, -300, 120]) : 0;
    nextSwitchId += random.int(1, 9);
    return {
      user_id: nextSwitchId,
      passwd: `$2b$12$${random.fromAlphabet('./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 53)}`,
      user_type: userType,
      active: random.chance(0.85),
      carrier_name: userType === 'carrier' ? random.pick(CARRIERS) : null,
      default_mod: '',
      reseller_id: random.chance(0.2) ? random.int(1, 40) : null,
      outbound_report: random.chance(0.7),
      client_limits: [],
      last_name: person.last,
      role_id: roleId,
      last_login_time: lastLogin ? switchTime(lastLogin, offset) : null,
      all_termination: random.chance(0.7),
      report_fields: null,
      client: null,
      report_count: '1 Hour',
      name: person.name,
      first_name: person.first,
      cdr_expire: null,
      is_preload: random.chance(0.8),
      landing_page: null,
      login_ip: lastLogin && random.chance(0.8) ? ipv4(random) : null,
      default_mod2: '',
      avatar_id: null,
      create_user_id: null,
      create_time: switchTime(created, offset),
      agent: null,
      report_group: random.chance(0.6),
      auth_ip: random.chance(0.7) ? [] : [ipv4(random), ...(random.chance(0.3) ? [ipv4(random)] : [])],
      default_billing_decimal: 4,
      card_id: null,
      email: person.email,
      last_seen: lastSeen ? switchTime(lastSeen, offset) : null,
      is_online: random.int(0, 2),
      role_name: roleName,
      client_id: userType === 'client' ? random.int(2000, 9999) : null,
      fullname: person.first && person.last ? `${person.first} ${person.last}` : null,
      cdr_api_token: random.chance(0.6) ? random.hex(32) : null,
      show_carrier_trunk_drop_only: random.chance(0.1),
      _moments: { created, lastLogin, lastSeen },
    };
  });

  return {
    organizations: ORGANIZATIONS,
    gateUsers,
    gateTokens,
    gateExtras,
    edgeUsers,
    edgeTokens,
    edgeHistory,
    switchItems,
    credentials,
    publicOrigins: { gate: 'https://gate.indep.example.net', edge: 'http://10.20.30.40:8080' },
  };
}

/** `_`-prefixed keys are the servers' own bookkeeping: never sent. */
export function withoutInternal<T extends object>(record: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([key]) => !key.startsWith('_')));
}
