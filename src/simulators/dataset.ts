// One deterministic dataset shared by the three simulated upstreams (gate, edge, switch).
// The same person is joined across upstreams by username; see /work/shared/upstream-apis/README.md.

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface Organization {
  /** gate's numeric string id, as used by user_extra.organization_id */
  id: string;
  /** the name gate /user/ and /user_token/ show in `organization` */
  name: string;
  domain: string;
  size: number;
}

/** The truth about one person, for tests: where they exist and what they are called. */
export interface Person {
  username: string;
  firstName: string;
  lastName: string;
  organization: string;
  organizationId: string;
  gateUserId: string;
  inEdge: boolean;
  inSwitch: boolean;
  hasToken: boolean;
  hasExtra: boolean;
}

// ---- gate ----

export type GateUserProfile = {
  [key: string]: JsonValue;
} & {
  created_at: string;
};

export interface GateUser {
  id: string;
  username: string;
  email: string;
  /** write-only: never serialised */
  password: string;
  organization: string | null;
  profile: GateUserProfile;
}

export interface UserToken {
  id: number;
  username: string;
  email: string;
  organization: string;
  is_active: boolean;
  token: string;
  /** shown only with ?balance=true (and by writes) */
  balance_seconds: number;
  created_at: string;
  /** absent until the first PUT/PATCH */
  updated_at?: string;
  last_login: string | null;
  profile: JsonObject;
  /** shown inside `profile` only with ?balance=true */
  totalUsageSeconds: number;
  lastActivity: string | null;
  /** hidden: while > 0, DELETE answers 409 */
  activeSessions: number;
}

export type AssignedDevice = {
  device_id: string;
  device_type: string;
  serial_number: string;
  model: string;
  assigned_date: string;
  status: string;
};

export interface UserExtra {
  id: number;
  /** the gate user's id, as an integer */
  parent: number;
  organization_id: string | null;
  preferences: JsonObject;
  custom_fields: JsonObject;
  /** shown as device_info {assigned_devices, device_count} only with ?device_info=true */
  assignedDevices: JsonObject[];
  created_at: string;
  updated_at: string;
}

// ---- edge ----

export interface EdgeAccessToken {
  id: string;
  title: string;
  hashed_token: string;
  active: boolean;
  created_on: string;
  updated_on: string;
  last_used: string | null;
  expires: string;
}

export interface EdgeLoginAttempt {
  success: boolean;
  user_agent: string | null;
  attempted_on: string;
  remote_address: string | null;
}

export interface EdgeUser {
  id: string;
  date_joined: string;
  previous_login_date: string | null;
  preferences: JsonObject | null;
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
  /** write-only: never serialised */
  password: string;
  tokens: EdgeAccessToken[];
  /** newest first */
  history: EdgeLoginAttempt[];
}

// ---- switch ----

export type SwitchUserType = 'client' | 'carrier' | 'agent' | 'admin';

/** The full item shape of switch's /user/list, serialised as is. */
export type SwitchUser = {
  user_id: number;
  passwd: string;
  user_type: SwitchUserType;
  active: boolean;
  carrier_name: string | null;
  default_mod: string;
  reseller_id: number | null;
  outbound_report: boolean;
  client_limits: JsonValue[];
  last_name: string | null;
  role_id: number;
  last_login_time: string | null;
  all_termination: boolean;
  report_fields: JsonValue;
  client: JsonValue;
  report_count: string;
  name: string;
  first_name: string | null;
  cdr_expire: string | null;
  is_preload: boolean;
  landing_page: string | null;
  login_ip: string | null;
  default_mod2: string;
  avatar_id: number | null;
  create_user_id: number | null;
  create_time: string;
  agent: JsonValue;
  report_group: boolean;
  auth_ip: string[];
  default_billing_decimal: number;
  card_id: number | null;
  email: string;
  last_seen: string | null;
  is_online: number;
  role_name: string;
  client_id: number | null;
  fullname: string | null;
  cdr_api_token: string | null;
  show_carrier_trunk_drop_only: boolean;
};

export interface Dataset {
  organizations: Organization[];
  people: Person[];
  gateUsers: GateUser[];
  userTokens: UserToken[];
  userExtras: UserExtra[];
  edgeUsers: EdgeUser[];
  switchUsers: SwitchUser[];
}

// ---- facts tests can rely on ----

export const ORGANIZATIONS: readonly Organization[] = [
  { id: '1001', name: 'acme', domain: 'acme.com', size: 130 },
  { id: '1002', name: 'globex', domain: 'globex.com', size: 62 },
  { id: '1003', name: 'initech', domain: 'initech.com', size: 48 },
  { id: '1004', name: 'umbrella', domain: 'umbrella.org', size: 34 },
  { id: '1005', name: 'hooli', domain: 'hooli.io', size: 22 },
  { id: '1006', name: 'tinyco', domain: 'tinyco.net', size: 4 },
];
export const BIG_ORGANIZATION = { id: '1001', name: 'acme', size: 130 } as const;
export const SMALL_ORGANIZATION = { id: '1006', name: 'tinyco', size: 4 } as const;
export const PEOPLE_COUNT = 300;

/** In every upstream (gate user, user_token, user_extra, edge, switch). */
export const EVERYWHERE_USERNAME = 'bob';
/** Gate usernames that are substrings / extensions of one another. */
export const SUBSTRING_USERNAMES = ['bob', 'bob.smith', 'bobby', 'ann', 'anna', 'joanna'] as const;
/** In gate /user/ only: no edge, no switch, no user_token, no user_extra. */
export const GATE_ONLY_USERNAME = 'zed.solo';
/** In gate /user/, edge and user_token, but not in switch and without a user_extra. */
export const NO_SWITCH_NO_EXTRA_USERNAME = 'ann';
/** In gate /user/, switch and user_extra, but not in edge and without a user_token. */
export const NO_EDGE_NO_TOKEN_USERNAME = 'anna';
/** In gate and edge; its edge login history spans several pages. */
export const LONG_HISTORY_USERNAME = 'grace.hopper';
export const LONG_HISTORY_LENGTH = 130;
/** Edge users that do not exist in gate. `admin` is the account the simulator's credentials name. */
export const EDGE_ONLY_USERNAMES = ['admin', 'Bob', 'BOBBY.X', 'svc.backup'] as const;
/** Switch users that do not exist in gate. */
export const SWITCH_ONLY_USERNAMES = ['bobcat', 'carrier.ops', 'noc.agent', 'sys.admin'] as const;

export const SWITCH_ROLES: Readonly<Record<SwitchUserType, { role_id: number; role_name: string }>> = {
  client: { role_id: 1, role_name: 'Client' },
  carrier: { role_id: 2, role_name: 'Carrier' },
  agent: { role_id: 3, role_name: 'Agent' },
  admin: { role_id: 4, role_name: 'Admin' },
};

// ---- timestamp formats of each upstream ----

/** gate: "2024-01-15T10:30:00Z" */
export function formatGateTime(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function microsecondDigits(epochMs: number, extraMicros: number): string {
  const millis = ((epochMs % 1000) + 1000) % 1000;
  return String(millis * 1000 + extraMicros).padStart(6, '0');
}

/** edge: naive UTC with 6 fraction digits, "2016-01-06T16:12:28.270000" */
export function formatEdgeTime(epochMs: number, extraMicros = 0): string {
  return `${new Date(epochMs).toISOString().slice(0, 19)}.${microsecondDigits(epochMs, extraMicros)}`;
}

/** switch: "2018-02-15T03:02:04.870467+00:00" */
export function formatSwitchTime(epochMs: number, extraMicros = 0): string {
  return `${formatEdgeTime(epochMs, extraMicros)}+00:00`;
}

// ---- generation ----

const SEED = 20240115;
const DAY_MS = 86_400_000;
const GATE_EPOCH_START = Date.UTC(2024, 0, 2, 8, 0, 0);
const GATE_EPOCH_END = Date.UTC(2025, 5, 30, 18, 0, 0);
const ACTIVITY_END = Date.UTC(2025, 9, 31, 23, 0, 0);

type Random = () => number;

function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Generator {
  private readonly random: Random;
  constructor(random: Random) {
    this.random = random;
  }

  float(): number {
    return this.random();
  }

  /** inclusive bounds */
  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.random() < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.random() * items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  shuffle<T>(items: T[]): T[] {
    for (let index = items.length - 1; index > 0; index--) {
      const other = Math.floor(this.random() * (index + 1));
      const current = items[index] as T;
      items[index] = items[other] as T;
      items[other] = current;
    }
    return items;
  }

  chars(alphabet: string, length: number): string {
    let text = '';
    for (let index = 0; index < length; index++) text += alphabet[Math.floor(this.random() * alphabet.length)];
    return text;
  }

  hex(length: number): string {
    return this.chars('0123456789abcdef', length);
  }

  bcryptLike(prefix: '$2a$10$' | '$2b$10$' | '$2b$12$'): string {
    return prefix + this.chars('./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 53);
  }

  time(fromMs: number, toMs: number): number {
    return fromMs + Math.floor(this.random() * Math.max(1, toMs - fromMs));
  }

  /** n ascending instants spread over [fromMs, toMs) */
  ascendingTimes(count: number, fromMs: number, toMs: number): number[] {
    return Array.from({ length: count }, () => this.time(fromMs, toMs)).sort((a, b) => a - b);
  }

  ipv4(): string {
    return this.chance(0.6)
      ? `10.${this.int(0, 255)}.${this.int(0, 255)}.${this.int(1, 254)}`
      : `${this.int(23, 203)}.${this.int(0, 255)}.${this.int(0, 255)}.${this.int(1, 254)}`;
  }
}

const FIRST_NAMES = [
  'james', 'mary', 'john', 'patricia', 'robert', 'linda', 'michael', 'elizabeth', 'william', 'susan',
  'david', 'jessica', 'richard', 'sarah', 'joseph', 'karen', 'thomas', 'nancy', 'charles', 'lisa',
  'daniel', 'betty', 'matthew', 'margaret', 'anthony', 'sandra', 'mark', 'ashley', 'donald', 'kimberly',
  'steven', 'emily', 'paul', 'donna', 'andrew', 'michelle', 'joshua', 'carol', 'kenneth', 'amanda',
  'kevin', 'melissa', 'brian', 'deborah', 'george', 'stephanie', 'edward', 'rebecca', 'ronald', 'laura',
  'timothy', 'sharon', 'jason', 'cynthia', 'jeffrey', 'kathleen', 'ryan', 'amy', 'jacob', 'angela',
  'nicholas', 'helen', 'eric', 'brenda', 'jonathan', 'pamela', 'larry', 'nicole', 'justin', 'emma',
  'scott', 'samantha', 'frank', 'katherine', 'raymond', 'christine', 'samuel', 'rachel', 'patrick', 'maria',
  'tomas', 'lucia', 'mateo', 'sofia', 'hiro', 'yuki', 'wei', 'mei', 'arjun', 'priya',
];

const LAST_NAMES = [
  'smith', 'johnson', 'williams', 'brown', 'jones', 'garcia', 'miller', 'davis', 'rodriguez', 'martinez',
  'hernandez', 'lopez', 'gonzalez', 'wilson', 'anderson', 'thomas', 'taylor', 'moore', 'jackson', 'martin',
  'lee', 'perez', 'thompson', 'white', 'harris', 'sanchez', 'clark', 'ramirez', 'lewis', 'robinson',
  'walker', 'young', 'allen', 'king', 'wright', 'scott', 'torres', 'nguyen', 'hill', 'flores',
  'green', 'adams', 'nelson', 'baker', 'hall', 'rivera', 'campbell', 'mitchell', 'carter', 'roberts',
  'gomez', 'phillips', 'evans', 'turner', 'diaz', 'parker', 'cruz', 'edwards', 'collins', 'reyes',
  'stewart', 'morris', 'morales', 'murphy', 'cook', 'rogers', 'ortiz', 'cooper', 'peterson', 'bailey',
  'reed', 'kelly', 'howard', 'ramos', 'kim', 'cox', 'ward', 'watson', 'brooks', 'chavez',
  'tanaka', 'sato', 'chen', 'wang', 'patel', 'singh', 'silva', 'costa', 'novak', 'kowalski',
];

interface PersonSpec {
  username: string;
  firstName: string;
  lastName: string;
  organization: string;
  /** preferred index in the gate list; specials are placed near it */
  position?: number;
  presence?: { inEdge: boolean; inSwitch: boolean; hasToken: boolean; hasExtra: boolean };
}

const ALL_PRESENT = { inEdge: true, inSwitch: true, hasToken: true, hasExtra: true };

const SPECIAL_PEOPLE: readonly PersonSpec[] = [
  { username: 'bob', firstName: 'Bob', lastName: 'Builder', organization: 'acme', position: 2, presence: ALL_PRESENT },
  { username: 'ann', firstName: 'Ann', lastName: 'Lee', organization: 'initech', position: 11,
    presence: { inEdge: true, inSwitch: false, hasToken: true, hasExtra: false } },
  { username: 'bob.smith', firstName: 'Bob', lastName: 'Smith', organization: 'acme', position: 40, presence: ALL_PRESENT },
  { username: 'grace.hopper', firstName: 'Grace', lastName: 'Hopper', organization: 'umbrella', position: 77, presence: ALL_PRESENT },
  { username: 'bobby', firstName: 'Bobby', lastName: 'Tables', organization: 'globex', position: 123, presence: ALL_PRESENT },
  { username: 'zed.solo', firstName: 'Zed', lastName: 'Solo', organization: 'hooli', position: 170,
    presence: { inEdge: false, inSwitch: false, hasToken: false, hasExtra: false } },
  { username: 'anna', firstName: 'Anna', lastName: 'Karenina', organization: 'acme', position: 215,
    presence: { inEdge: false, inSwitch: true, hasToken: false, hasExtra: true } },
  { username: 'joanna', firstName: 'Joanna', lastName: 'Newsom', organization: 'tinyco', position: 262, presence: ALL_PRESENT },
];

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

function organizationByName(name: string): Organization {
  const organization = ORGANIZATIONS.find((candidate) => candidate.name === name);
  if (!organization) throw new Error(`unknown organization ${name}`);
  return organization;
}

/** Orders people so organizations interleave and specials sit near their preferred positions. */
function arrangePeople(generator: Generator): PersonSpec[] {
  const organizationSlots = generator.shuffle(ORGANIZATIONS.flatMap((organization) =>
    Array.from({ length: organization.size }, () => organization.name)));
  const arranged: (PersonSpec | undefined)[] = new Array(organizationSlots.length).fill(undefined);
  for (const special of SPECIAL_PEOPLE) {
    const start = special.position ?? 0;
    for (let step = 0; step < organizationSlots.length; step++) {
      const index = (start + step) % organizationSlots.length;
      if (arranged[index] === undefined && organizationSlots[index] === special.organization) {
        arranged[index] = special;
        break;
      }
    }
  }
  // Generated names never contain "bob" or "ann" so that substring searches have a known answer.
  const taken = new Set<string>([
    ...SPECIAL_PEOPLE.map((special) => special.username),
    ...EDGE_ONLY_USERNAMES.map((name) => name.toLowerCase()),
    ...SWITCH_ONLY_USERNAMES,
  ]);
  return organizationSlots.map((organization, index) => {
    const placed = arranged[index];
    if (placed) return placed;
    for (;;) {
      const firstName = generator.pick(FIRST_NAMES);
      const lastName = generator.pick(LAST_NAMES);
      let username = `${firstName}.${lastName}`;
      if (generator.chance(0.12)) username += String(generator.int(1, 99));
      if (taken.has(username) || username.includes('bob') || username.includes('ann')) continue;
      taken.add(username);
      return { username, firstName: capitalize(firstName), lastName: capitalize(lastName), organization };
    }
  });
}

const GATE_ROLES = ['user', 'user', 'user', 'admin', 'manager', 'viewer'];
const ACCESS_LEVELS = ['basic', 'standard', 'standard', 'premium', 'enterprise'];
const THEMES = ['light', 'dark', 'auto'];
const LANGUAGES = ['en', 'en', 'es', 'fr', 'de', 'pt'];
const TIMEZONES = ['UTC', 'America/New_York', 'America/Los_Angeles', 'Europe/Paris', 'Europe/Madrid', 'Asia/Tokyo'];
const DEPARTMENTS = ['Engineering', 'Marketing', 'Sales', 'Support', 'Finance', 'Operations', 'Legal'];
const EXTRA_ACCESS_LEVELS = ['standard', 'senior', 'manager', 'contractor'];
const OFFICES = ['Building A, Floor 3', 'Building B, Floor 2', 'Remote', 'HQ, Floor 7'];
const DEVICE_MODELS: Readonly<Record<string, readonly string[]>> = {
  laptop: ['MacBook Pro 16', 'ThinkPad X1 Carbon', 'Dell XPS 13'],
  phone: ['iPhone 15 Pro', 'Pixel 8', 'Galaxy S24'],
  tablet: ['iPad Air', 'Galaxy Tab S9'],
  desktop: ['Mac mini', 'OptiPlex 7010'],
};
const DEVICE_TYPES = Object.keys(DEVICE_MODELS);
const DEVICE_STATUSES = ['active', 'active', 'active', 'inactive', 'maintenance'];
const MEMBERSHIP_LEVELS = ['WHITE', 'GREEN', 'AMBER', 'RED'];
const TOKEN_TITLES = ['Dashboard', 'CLI', 'Integration', 'Backup script', 'CI pipeline', 'Monitoring'];
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15',
  'python-requests/2.31.0',
  'curl/8.4.0',
];
const CARRIER_NAMES = ['TeleBridge', 'Northwind Voice', 'BlueWave Telecom', 'Orbit Carrier Services', 'ACME Telecom'];

interface Presence { inEdge: boolean; inSwitch: boolean; hasToken: boolean; hasExtra: boolean }

function presenceFor(spec: PersonSpec, generator: Generator): Presence {
  // Draw all four even for specials so that the random stream does not depend on who is special.
  const drawn = {
    inEdge: !generator.chance(1 / 7),
    inSwitch: !generator.chance(1 / 5),
    hasToken: !generator.chance(1 / 11),
    hasExtra: !generator.chance(1 / 13),
  };
  return spec.presence ?? drawn;
}

function buildGateUser(spec: PersonSpec, id: string, createdAt: number, generator: Generator): GateUser {
  const organization = organizationByName(spec.organization);
  const profile: GateUserProfile = {
    first_name: spec.firstName,
    last_name: spec.lastName,
    role: generator.pick(GATE_ROLES),
    created_at: formatGateTime(createdAt),
  };
  if (generator.chance(0.7)) profile['last_login'] = formatGateTime(generator.time(createdAt + DAY_MS, ACTIVITY_END));
  if (generator.chance(0.4)) profile['updated_at'] = formatGateTime(generator.time(createdAt + DAY_MS, ACTIVITY_END));
  return {
    id,
    username: spec.username,
    email: `${spec.username}@${organization.domain}`,
    password: `pw-${generator.hex(12)}`,
    organization: organization.name,
    profile,
  };
}

function buildUserToken(user: GateUser, id: number, createdAt: number, generator: Generator): UserToken {
  const tokenCreatedAt = createdAt + generator.int(60, 3 * DAY_MS / 1000) * 1000;
  const lastLogin = generator.chance(0.75) ? generator.time(tokenCreatedAt + DAY_MS, ACTIVITY_END) : null;
  const isActive = generator.chance(0.9);
  const balanceRoll = generator.float();
  const balance = balanceRoll < 0.12 ? 0
    : balanceRoll < 0.2 ? generator.int(10_000_000, 2_000_000_000)
      : generator.int(60, 604_800);
  const token: UserToken = {
    id,
    username: user.username,
    email: user.email,
    organization: user.organization ?? '',
    is_active: isActive,
    token: `tok_${generator.hex(24)}`,
    balance_seconds: balance,
    created_at: formatGateTime(tokenCreatedAt),
    last_login: lastLogin === null ? null : formatGateTime(lastLogin),
    profile: { max_sessions: generator.int(1, 5), access_level: generator.pick(ACCESS_LEVELS) },
    totalUsageSeconds: lastLogin === null ? 0 : generator.int(60, 900_000),
    lastActivity: lastLogin === null ? null : formatGateTime(lastLogin + generator.int(60, 36_000) * 1000),
    activeSessions: isActive && lastLogin !== null && generator.chance(0.15) ? generator.int(1, 2) : 0,
  };
  if (generator.chance(0.5)) token.updated_at = formatGateTime(generator.time(tokenCreatedAt + DAY_MS, ACTIVITY_END));
  return token;
}

function buildUserExtra(user: GateUser, id: number, createdAt: number, deviceCounter: { next: number }, generator: Generator): UserExtra {
  const organization = organizationByName(user.organization ?? '');
  const preferences: JsonObject = {
    theme: generator.pick(THEMES),
    notifications: generator.chance(0.7),
    language: generator.pick(LANGUAGES),
  };
  if (generator.chance(0.5)) preferences['timezone'] = generator.pick(TIMEZONES);
  const customFields: JsonObject = {
    department: generator.pick(DEPARTMENTS),
    employee_id: `EMP${String(id).padStart(4, '0')}`,
    access_level: generator.pick(EXTRA_ACCESS_LEVELS),
  };
  if (generator.chance(0.4)) customFields['office_location'] = generator.pick(OFFICES);
  if (generator.chance(0.3)) customFields['manager_id'] = generator.chance(0.2) ? null : `EMP${String(generator.int(1, 250)).padStart(4, '0')}`;
  if (generator.chance(0.3)) customFields['hire_date'] = formatGateTime(createdAt - generator.int(30, 2000) * DAY_MS).slice(0, 10);
  const assignedDevices: AssignedDevice[] = Array.from({ length: generator.int(0, 3) }, () => {
    const deviceType = generator.pick(DEVICE_TYPES);
    return {
      device_id: `DEV-${String(deviceCounter.next++).padStart(4, '0')}`,
      device_type: deviceType,
      serial_number: generator.chars('ABCDEFGHJKLMNPQRSTUVWXYZ0123456789', 9),
      model: generator.pick(DEVICE_MODELS[deviceType] ?? []),
      assigned_date: formatGateTime(generator.time(createdAt, ACTIVITY_END)),
      status: generator.pick(DEVICE_STATUSES),
    };
  });
  const extraCreatedAt = createdAt + generator.int(0, 5 * DAY_MS / 1000) * 1000;
  return {
    id,
    parent: Number(user.id),
    organization_id: organization.id,
    preferences,
    custom_fields: customFields,
    assignedDevices,
    created_at: formatGateTime(extraCreatedAt),
    updated_at: formatGateTime(generator.chance(0.5) ? extraCreatedAt : generator.time(extraCreatedAt, ACTIVITY_END)),
  };
}

interface EdgeAccount {
  username: string;
  firstName: string | null;
  lastName: string | null;
  email: string;
  organization: string | null;
  isAdmin: boolean;
  historyLength?: number;
}

function buildEdgeUser(account: EdgeAccount, joinedAt: number, generator: Generator): EdgeUser {
  const tokens: EdgeAccessToken[] = Array.from({ length: generator.int(0, 4) }, () => {
    const createdOn = generator.time(joinedAt, ACTIVITY_END);
    const createdMicros = generator.int(0, 999);
    const neverUpdated = generator.chance(0.6);
    const updatedOn = neverUpdated ? createdOn : generator.time(createdOn + 1000, ACTIVITY_END);
    return {
      id: generator.hex(24),
      title: generator.pick(TOKEN_TITLES),
      hashed_token: generator.bcryptLike(generator.chance(0.5) ? '$2a$10$' : '$2b$10$'),
      active: generator.chance(0.8),
      created_on: formatEdgeTime(createdOn, createdMicros),
      updated_on: neverUpdated ? formatEdgeTime(createdOn, createdMicros) : formatEdgeTime(updatedOn, generator.int(0, 999)),
      last_used: generator.chance(0.4) ? null : formatEdgeTime(generator.time(updatedOn + 1000, ACTIVITY_END + DAY_MS), generator.int(0, 999)),
      expires: formatEdgeTime(createdOn + 365 * DAY_MS, createdMicros),
    };
  });
  const historyLength = account.historyLength ?? generator.int(0, 30);
  const history: EdgeLoginAttempt[] = generator.ascendingTimes(historyLength, joinedAt, ACTIVITY_END)
    .reverse()
    .map((attemptedOn) => ({
      success: generator.chance(0.88),
      user_agent: generator.chance(0.25) ? null : generator.pick(USER_AGENTS),
      attempted_on: formatEdgeTime(attemptedOn, generator.int(0, 999)),
      remote_address: generator.chance(0.2) ? null : generator.ipv4(),
    }));
  const successfulLogins = history.filter((attempt) => attempt.success);
  const memberships = MEMBERSHIP_LEVELS.slice(0, account.isAdmin ? 4 : generator.int(1, 4));
  return {
    id: generator.hex(24),
    date_joined: formatEdgeTime(joinedAt, generator.int(0, 999)),
    previous_login_date: successfulLogins[1]?.attempted_on ?? null,
    preferences: generator.chance(0.75) ? null : { theme: generator.pick(THEMES), page_size: generator.pick([25, 50, 100]) },
    username: account.username,
    first_name: account.firstName,
    last_name: account.lastName,
    email: account.email,
    description: generator.chance(0.7) ? '' : generator.pick(['Analyst', 'SOC operator', 'Threat intel feed', 'Contractor']),
    is_active: account.isAdmin || generator.chance(0.9),
    is_superuser: account.isAdmin,
    is_staff: account.isAdmin || generator.chance(0.1),
    can_inbox: generator.chance(0.85),
    allow_rest_access: account.isAdmin || generator.chance(0.5),
    organization: account.organization,
    memberships,
    password: `pw-${generator.hex(12)}`,
    tokens,
    history,
  };
}

const EDGE_ONLY_ACCOUNTS: readonly { atIndex: number; account: EdgeAccount }[] = [
  { atIndex: 0, account: { username: 'admin', firstName: 'Edge', lastName: 'Admin', email: 'admin@edge.example', organization: null, isAdmin: true } },
  { atIndex: 31, account: { username: 'Bob', firstName: null, lastName: null, email: 'bob@example.com', organization: null, isAdmin: false } },
  { atIndex: 148, account: { username: 'BOBBY.X', firstName: 'Bobby', lastName: 'X', email: 'bobby.x@example.com', organization: null, isAdmin: false } },
  { atIndex: 229, account: { username: 'svc.backup', firstName: null, lastName: null, email: 'backup@edge.example', organization: null, isAdmin: false } },
];

interface SwitchAccount {
  username: string;
  firstName: string | null;
  lastName: string | null;
  email: string;
  userType: SwitchUserType;
}

const SWITCH_ONLY_ACCOUNTS: readonly { atIndex: number; account: SwitchAccount }[] = [
  { atIndex: 19, account: { username: 'bobcat', firstName: 'Bob', lastName: 'Cat', email: 'bobcat@wildlife.example', userType: 'client' } },
  { atIndex: 96, account: { username: 'carrier.ops', firstName: null, lastName: null, email: 'ops@telebridge.example', userType: 'carrier' } },
  { atIndex: 160, account: { username: 'noc.agent', firstName: 'Noc', lastName: 'Agent', email: 'noc@switch.example', userType: 'agent' } },
  { atIndex: 221, account: { username: 'sys.admin', firstName: 'Sys', lastName: 'Admin', email: 'sysadmin@switch.example', userType: 'admin' } },
];

function pickSwitchUserType(generator: Generator): SwitchUserType {
  const roll = generator.float();
  if (roll < 0.6) return 'client';
  if (roll < 0.8) return 'carrier';
  if (roll < 0.92) return 'agent';
  return 'admin';
}

function buildSwitchUser(account: SwitchAccount, userId: number, createdAt: number, clientCounter: { next: number }, generator: Generator): SwitchUser {
  const { role_id, role_name } = SWITCH_ROLES[account.userType];
  const lastLogin = generator.chance(0.7) ? generator.time(createdAt + DAY_MS, ACTIVITY_END) : null;
  const lastSeen = lastLogin === null ? null : lastLogin + generator.int(60, 86_400) * 1000;
  const hasNames = account.firstName !== null && generator.chance(0.7);
  return {
    user_id: userId,
    passwd: generator.bcryptLike('$2b$12$'),
    user_type: account.userType,
    active: generator.chance(0.9),
    carrier_name: account.userType === 'carrier' ? generator.pick(CARRIER_NAMES) : null,
    default_mod: '',
    reseller_id: null,
    outbound_report: true,
    client_limits: [],
    last_name: hasNames ? account.lastName : null,
    role_id,
    last_login_time: lastLogin === null ? null : formatSwitchTime(lastLogin, generator.int(0, 999)),
    all_termination: true,
    report_fields: null,
    client: null,
    report_count: '1 Hour',
    name: account.username,
    first_name: hasNames ? account.firstName : null,
    cdr_expire: null,
    is_preload: true,
    landing_page: null,
    login_ip: lastLogin === null ? null : generator.ipv4(),
    default_mod2: '',
    avatar_id: null,
    create_user_id: generator.chance(0.3) ? 1 : null,
    create_time: formatSwitchTime(createdAt, generator.int(0, 999)),
    agent: null,
    report_group: true,
    auth_ip: generator.chance(0.15) ? [generator.ipv4()] : [],
    default_billing_decimal: 4,
    card_id: null,
    email: account.email,
    last_seen: lastSeen === null ? null : formatSwitchTime(lastSeen, generator.int(0, 999)),
    is_online: lastLogin !== null && generator.chance(0.25) ? 1 : 2,
    role_name,
    client_id: account.userType === 'client' ? clientCounter.next++ : null,
    fullname: hasNames ? `${account.firstName} ${account.lastName}` : null,
    cdr_api_token: generator.chance(0.25) ? generator.hex(32) : null,
    show_carrier_trunk_drop_only: false,
  };
}

/** Inserts upstream-only accounts into a list built from people, at fixed positions. */
function interleave<T>(fromPeople: readonly T[], extras: readonly { atIndex: number; account: T }[]): T[] {
  const merged = [...fromPeople];
  for (const extra of [...extras].sort((a, b) => b.atIndex - a.atIndex)) {
    merged.splice(Math.min(extra.atIndex, merged.length), 0, extra.account);
  }
  return merged;
}

/** Builds the dataset afresh: deterministic, and a new mutable copy on every call. */
export function createDataset(): Dataset {
  const generator = new Generator(mulberry32(SEED));
  const specs = arrangePeople(generator);
  const createdTimes = generator.ascendingTimes(specs.length, GATE_EPOCH_START, GATE_EPOCH_END);

  const people: Person[] = [];
  const gateUsers: GateUser[] = [];
  const userTokens: UserToken[] = [];
  const userExtras: UserExtra[] = [];
  const edgeAccounts: EdgeAccount[] = [];
  const switchAccounts: SwitchAccount[] = [];
  const deviceCounter = { next: 1 };

  specs.forEach((spec, index) => {
    const createdAt = createdTimes[index] ?? GATE_EPOCH_START;
    const presence = presenceFor(spec, generator);
    const organization = organizationByName(spec.organization);
    const gateUser = buildGateUser(spec, String(10001 + index), createdAt, generator);
    gateUsers.push(gateUser);
    people.push({
      username: spec.username,
      firstName: spec.firstName,
      lastName: spec.lastName,
      organization: organization.name,
      organizationId: organization.id,
      gateUserId: gateUser.id,
      ...presence,
    });
    if (presence.hasToken) userTokens.push(buildUserToken(gateUser, userTokens.length + 1, createdAt, generator));
    if (presence.hasExtra) userExtras.push(buildUserExtra(gateUser, userExtras.length + 1, createdAt, deviceCounter, generator));
    if (presence.inEdge) {
      const anonymous = generator.chance(0.15);
      edgeAccounts.push({
        username: spec.username,
        firstName: anonymous ? null : spec.firstName,
        lastName: anonymous ? null : spec.lastName,
        email: generator.chance(0.1) ? `${spec.username}@mail.example` : gateUser.email,
        organization: generator.chance(0.5) ? organization.name : null,
        isAdmin: false,
        ...(spec.username === LONG_HISTORY_USERNAME ? { historyLength: LONG_HISTORY_LENGTH } : {}),
      });
    }
    if (presence.inSwitch) {
      switchAccounts.push({
        username: spec.username,
        firstName: spec.firstName,
        lastName: spec.lastName,
        email: gateUser.email,
        userType: spec.username === EVERYWHERE_USERNAME ? 'client' : pickSwitchUserType(generator),
      });
    }
  });

  const edgeOrder = interleave(edgeAccounts, EDGE_ONLY_ACCOUNTS);
  const edgeJoinTimes = generator.ascendingTimes(edgeOrder.length, GATE_EPOCH_START - 30 * DAY_MS, GATE_EPOCH_END);
  const edgeUsers = edgeOrder.map((account, index) => buildEdgeUser(account, edgeJoinTimes[index] ?? GATE_EPOCH_START, generator));

  const switchOrder = interleave(switchAccounts, SWITCH_ONLY_ACCOUNTS);
  const switchCreateTimes = generator.ascendingTimes(switchOrder.length, GATE_EPOCH_START - 60 * DAY_MS, GATE_EPOCH_END);
  const clientCounter = { next: 2801 };
  let switchUserId = 1000;
  const switchUsers = switchOrder.map((account, index) => {
    switchUserId += generator.int(1, 9);
    return buildSwitchUser(account, switchUserId, switchCreateTimes[index] ?? GATE_EPOCH_START, clientCounter, generator);
  });

  return {
    organizations: ORGANIZATIONS.map((organization) => ({ ...organization })),
    people,
    gateUsers,
    userTokens,
    userExtras,
    edgeUsers,
    switchUsers,
  };
}
