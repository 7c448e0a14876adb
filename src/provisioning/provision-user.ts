import type { EdgeClient } from '../upstreams/edge/client.ts';
import type { EdgeUser } from '../upstreams/edge/types.ts';
import type { GateClient } from '../upstreams/gate/client.ts';
import type { GateUser, GateUserExtra, GateUserToken } from '../upstreams/gate/types.ts';
import type { AuditTrail, RecordName } from './audit.ts';
import { createShownAccessToken, foundAccessToken, type NewAccessToken } from './access-tokens.ts';
import { confirmedWrite, retried } from './confirmed-writes.ts';
import { ConflictError, OutcomeUnknown, ProvisioningFailed } from './failures.ts';
import { removals } from './removals.ts';

export interface ProvisioningClients {
  gate: GateClient;
  edge: EdgeClient;
}

/** A person to create on gate (user, user token, user extra) and, with `edge`, on edge. */
export interface NewPerson {
  username: string;
  email: string;
  password: string;
  organization: string;
  firstName?: string;
  lastName?: string;
  role?: string;
  isActive?: boolean;
  initialBalanceSeconds?: number;
  accessLevel?: string;
  maxSessions?: number;
  preferences?: Record<string, unknown>;
  customFields?: Record<string, unknown>;
  /** edge requires first and last names: checked before this is called. */
  edge?: { memberships?: string[]; accessTokenTitle?: string };
}

export interface ProvisionedPerson {
  user: GateUser;
  token: GateUserToken;
  extra: GateUserExtra;
  edgeAccount: EdgeUser | null;
  accessToken: NewAccessToken | null;
}

/** One step of the saga: it creates a record, finds it by its natural key, and removes it. */
interface Step<T> {
  record: RecordName;
  create(): Promise<T>;
  /** The record this step creates, if it exists: how a lost answer is settled. */
  find(): Promise<T | null>;
  remove(created: T): Promise<void>;
  idOf(created: T): string;
}

/**
 * Steps done in order, each with its compensation. When a step fails, the steps done are undone
 * in reverse (each retried while it may pass); what could not be undone is a leftover.
 */
class Saga {
  readonly #done: { record: RecordName; id: string; undo: () => Promise<void> }[] = [];

  constructor(
    private readonly audit: AuditTrail,
    private readonly username: string,
  ) {}

  async step<T>(step: Step<T>): Promise<T> {
    let created: T;
    try {
      created = await confirmedWrite(() => step.create(), () => step.find());
    } catch (error) {
      throw await this.#rollBack(step, error);
    }
    const id = step.idOf(created);
    this.audit.created.push({ record: step.record, id });
    this.#done.push({ record: step.record, id, undo: () => step.remove(created) });
    return created;
  }

  async #rollBack<T>(failed: Step<T>, cause: unknown): Promise<Error> {
    const leftovers: RecordName[] = [];
    for (const done of this.#done.reverse()) {
      const undone = await retried(done.undo);
      if (undone.ok) this.audit.removed.push({ record: done.record, id: done.id });
      else {
        leftovers.push(done.record);
        this.audit.leftovers.push({ record: done.record, id: done.id });
      }
    }
    const because = cause instanceof Error ? cause.message : 'an unexpected error';
    if (cause instanceof OutcomeUnknown) {
      // The failed step may have landed: whatever of it is there goes too, or its outcome stays unknown.
      let landed: T | null = null;
      const swept = await retried(async () => {
        landed = (await failed.find()) ?? landed;
        if (landed) await failed.remove(landed);
      });
      this.#auditSwept(failed, landed, swept.ok);
      if (!swept.ok) {
        const remains = [failed.record, ...leftovers].join(', ');
        return new OutcomeUnknown(cause.upstream, `provisioning ${this.username} stopped at ${failed.record}: ${because}; what may remain: ${remains}`);
      }
    }
    const left = leftovers.length ? `left behind: ${leftovers.join(', ')}` : 'everything done before was undone';
    return new ProvisioningFailed(failed.record, leftovers, `provisioning ${this.username} stopped at ${failed.record} (${because}); ${left}`);
  }

  /** A failed step's record found by the sweep was made by this mutation: created, then removed (or left over). */
  #auditSwept<T>(failed: Step<T>, landed: T | null, removed: boolean): void {
    if (landed === null) return;
    const record = { record: failed.record, id: failed.idOf(landed) };
    this.audit.created.push(record);
    (removed ? this.audit.removed : this.audit.leftovers).push(record);
  }
}

/**
 * Creates the person everywhere, all or nothing: gate user, user token (with its initial
 * balance), user extra, and with `edge` the edge user and its first access token. Records
 * already there (by username) are a conflict, before anything is written.
 */
export async function provisionUser(clients: ProvisioningClients, person: NewPerson, audit: AuditTrail): Promise<ProvisionedPerson> {
  const { gate, edge } = clients;
  const remove = removals(clients);
  const { username } = person;
  const existing = await Promise.all([
    gate.getUserByUsername(username).then((found) => (found ? 'a gate user' : undefined)),
    gate.findTokenByUsername(username, false).then((found) => (found ? 'a gate user token' : undefined)),
    person.edge ? edge.findUserByUsername(username).then((found) => (found ? 'an edge user' : undefined)) : undefined,
  ]);
  const taken = existing.filter((found) => found !== undefined);
  if (taken.length) throw new ConflictError(`${username} is taken: there is ${taken.join(' and ')} of that name; nothing was created`);

  const saga = new Saga(audit, username);
  const user = await saga.step<GateUser>({
    record: 'gate.user',
    create: () =>
      gate.createUser({
        username,
        email: person.email,
        password: person.password,
        organization: person.organization,
        firstName: person.firstName,
        lastName: person.lastName,
        role: person.role,
      }),
    find: () => gate.getUserByUsername(username),
    remove: (created) => remove.gateUser(created.id),
    idOf: (created) => created.id,
  });
  const token = await saga.step<GateUserToken>({
    record: 'gate.userToken',
    create: () =>
      gate.createToken({
        username,
        email: person.email,
        organization: person.organization,
        isActive: person.isActive,
        initialBalanceSeconds: person.initialBalanceSeconds,
        maxSessions: person.maxSessions,
        accessLevel: person.accessLevel,
      }),
    find: () => gate.findTokenByUsername(username, false),
    remove: (created) => remove.gateUserToken(String(created.id)),
    idOf: (created) => String(created.id),
  });
  const extra = await saga.step<GateUserExtra>({
    record: 'gate.userExtra',
    create: () => gate.createExtra({ parent: user.id, preferences: person.preferences, customFields: person.customFields }),
    find: () => gate.findExtraByParent(user.id, false),
    remove: (created) => remove.gateUserExtra(String(created.id)),
    idOf: (created) => String(created.id),
  });
  if (!person.edge) return { user, token, extra, edgeAccount: null, accessToken: null };

  const { memberships, accessTokenTitle } = person.edge;
  const edgeAccount = await saga.step<EdgeUser>({
    record: 'edge.user',
    create: () =>
      edge.createUser({
        username,
        password: person.password,
        firstName: person.firstName,
        lastName: person.lastName,
        email: person.email,
        organization: person.organization,
        isActive: person.isActive,
        memberships,
      }),
    find: () => edge.findUserByUsername(username),
    remove: (created) => remove.edgeUser(created.id),
    idOf: (created) => created.id,
  });
  if (accessTokenTitle === undefined) return { user, token, extra, edgeAccount, accessToken: null };

  const accountId = edgeAccount.id;
  // A new account has no token but the one this step makes.
  const before = new Set<string>();
  const accessToken = await saga.step<NewAccessToken>({
    record: 'edge.accessToken',
    create: () => createShownAccessToken(clients, accountId, accessTokenTitle, before, audit),
    find: () => foundAccessToken(edge, accountId, accessTokenTitle, before),
    remove: (created) => remove.edgeAccessToken(accountId, created.token.id),
    idOf: (created) => created.token.id,
  });
  return { user, token, extra, edgeAccount, accessToken };
}
