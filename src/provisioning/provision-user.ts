import type { EdgeUser } from '../upstreams/edge/types.ts';
import type { GateUser, GateUserExtra, GateUserToken } from '../upstreams/gate/types.ts';
import type { WriteClients } from '../upstreams/index.ts';
import type { AuditTrail, AuditedRecord, RecordName } from './audit.ts';
import { createShownAccessToken, foundAccessToken, type NewAccessToken } from './access-tokens.ts';
import { confirmedCreate, retried, shows } from './confirmed-writes.ts';
import { ConflictError, DeadlineTooShort, OutcomeUnknown, ProvisioningFailed } from './failures.ts';
import { personLock, withLocks, type LockServices } from './locks.ts';
import { removals } from './removals.ts';
import { requireUnheldUsername } from './usernames.ts';

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

/** What a provisioning needs beside the clients: the person's lock, and the clock that settles writes. */
export interface ProvisioningServices extends LockServices {
  /** How long a write sent without an answer is taken to be still on its way. */
  settleMs: number;
  now: () => number;
}

/**
 * One step of the saga: it creates a record, finds it again by its natural key (which the person's
 * lock keeps to this provisioning's own), tells its own record by what it sent, and removes it.
 */
interface Step<T> {
  record: RecordName;
  create(): Promise<T>;
  find(clients: WriteClients): Promise<T | null>;
  /** Whether a record found shows what this step sent: one that does not is someone else's. */
  ours(found: T): boolean;
  remove(created: T, clients: WriteClients): Promise<void>;
  idOf(created: T): string;
}

/**
 * A provisioning that did not end cleanly: what it left, so that a retry with its idempotency key
 * settles it (removes what is left, once no write of it can still land) before it runs again.
 */
export interface ProvisioningAttempt {
  username: string;
  /** Records made and not undone, by id. */
  leftovers: AuditedRecord[];
  /** A create sent without an answer that may still land after `settleBy` (epoch ms). */
  inDoubt?: { record: RecordName; sent: Record<string, unknown>; settleBy: number };
}

/** A failure that leaves an attempt for the idempotency key to settle. */
export class ProvisioningLeftUnsettled extends OutcomeUnknown {
  readonly attempt: ProvisioningAttempt;
  constructor(
    upstream: OutcomeUnknown['upstream'],
    message: string,
    attempt: ProvisioningAttempt,
  ) {
    super(upstream, message, attempt.inDoubt !== undefined);
    this.attempt = attempt;
  }
}

/** A ProvisioningFailed whose leftovers the retry with its key clears first. */
export class ProvisioningFailedWithLeftovers extends ProvisioningFailed {
  readonly attempt: ProvisioningAttempt;
  constructor(
    failedStep: string,
    leftovers: string[],
    message: string,
    attempt: ProvisioningAttempt,
  ) {
    super(failedStep, leftovers, message);
    this.attempt = attempt;
  }

}

/**
 * Steps done in order, each with its compensation. When a step fails, the steps done are undone
 * in reverse (each retried while it may pass), with a time budget of their own (`recovery`): a
 * spent request deadline never leaves them unsent. What could not be undone is a leftover.
 */
class Saga {
  readonly #done: { record: RecordName; id: string; undo: (clients: WriteClients) => Promise<void> }[] = [];

  private readonly clients: WriteClients;
  private readonly services: ProvisioningServices;
  private readonly audit: AuditTrail;
  private readonly username: string;
  constructor(
    clients: WriteClients,
    services: ProvisioningServices,
    audit: AuditTrail,
    username: string,
  ) {
    this.clients = clients;
    this.services = services;
    this.audit = audit;
    this.username = username;
  }

  async step<T>(step: Step<T>, sent: Record<string, unknown>): Promise<T> {
    let created: T;
    try {
      created = await confirmedCreate(() => step.create(), {
        clients: this.clients,
        readBack: (recovery) => step.find(recovery),
        landed: (found) => step.ours(found),
        taken: `${this.username} was taken on ${step.record} meanwhile; nothing is left of this provisioning`,
      });
    } catch (error) {
      throw await this.#rollBack(step, sent, error);
    }
    const id = step.idOf(created);
    this.audit.created.push({ record: step.record, id });
    this.#done.push({ record: step.record, id, undo: (clients) => step.remove(created, clients) });
    return created;
  }

  async #rollBack<T>(failed: Step<T>, sent: Record<string, unknown>, cause: unknown): Promise<Error> {
    const recovery = this.clients.recovery();
    const leftovers: AuditedRecord[] = [];
    for (const done of this.#done.reverse()) {
      const undone = await retried(() => done.undo(recovery));
      if (undone.ok) this.audit.removed.push({ record: done.record, id: done.id });
      else leftovers.push({ record: done.record, id: done.id });
    }
    this.audit.leftovers.push(...leftovers);
    const because = cause instanceof Error ? cause.message : 'an unexpected error';
    const attempt: ProvisioningAttempt = { username: this.username, leftovers };
    if (cause instanceof OutcomeUnknown) {
      // The failed step may have landed: whatever of it is there now goes too. Nothing there proves
      // little while the create may still be on its way: the attempt stays open until it cannot be.
      let found: AuditedRecord | undefined;
      const swept = await retried(async () => {
        const landed = await failed.find(recovery);
        if (!landed || !failed.ours(landed)) return false;
        found = { record: failed.record, id: failed.idOf(landed) };
        await failed.remove(landed, recovery);
        return true;
      });
      // What the sweep found was made by this mutation: created, then removed or left over.
      if (found) {
        this.audit.created.push(found);
        (swept.ok ? this.audit.removed : this.audit.leftovers).push(found);
      }
      if (!swept.ok || (swept.value === false && cause.mayStillLand)) {
        const inDoubt = { record: failed.record, sent, settleBy: this.services.now() + (swept.ok ? this.services.settleMs : 0) };
        const remains = [failed.record, ...leftovers.map(({ record }) => record)].join(', ');
        return new ProvisioningLeftUnsettled(
          cause.upstream,
          `provisioning ${this.username} stopped at ${failed.record}: ${because}; what may remain: ${remains}. A retry with the same idempotency key settles it`,
          { ...attempt, inDoubt },
        );
      }
    }
    const names = leftovers.map(({ record }) => record);
    // Another writer took the name meanwhile, and nothing of this provisioning is left: the name is taken.
    if (cause instanceof ConflictError && !names.length) return new ConflictError(`${this.username} is taken: ${because}`);
    const left = names.length ? `left behind: ${names.join(', ')}` : 'everything done before was undone';
    const message = `provisioning ${this.username} stopped at ${failed.record} (${because}); ${left}`;
    if (!leftovers.length) return new ProvisioningFailed(failed.record, names, message);
    return new ProvisioningFailedWithLeftovers(failed.record, names, `${message}. A retry with the same idempotency key removes them first`, attempt);
  }
}

/** The steps a provisioning makes, each a call or two: what admission of its time is counted in. */
function stepsOf(person: NewPerson): number {
  return 3 + (person.edge ? 1 : 0) + (person.edge?.accessTokenTitle !== undefined ? 1 : 0);
}

/**
 * Refuses to start what could not finish before the request's deadline: half a person is worse
 * than none. `rounds` are the calls still to come before the steps (the name checks).
 */
function refuseShortDeadline(clients: WriteClients, person: NewPerson, rounds: number): void {
  const neededMs = (rounds + stepsOf(person)) * clients.expectedCallMs();
  const remainingMs = clients.timeLeftMs();
  if (neededMs > remainingMs) throw new DeadlineTooShort(neededMs, remainingMs);
}

/**
 * Creates the person everywhere, all or nothing: gate user, user token (with its initial
 * balance), user extra, and with `edge` the edge user and its first access token. A username any
 * upstream holds (switch included, and edge without `edge`: an account there would be this
 * person's) is a conflict, before anything is written; the person's lock is held throughout, so
 * that no other write through the gateway takes the name meanwhile.
 */
export function provisionUser(clients: WriteClients, services: ProvisioningServices, person: NewPerson, audit: AuditTrail): Promise<ProvisionedPerson> {
  return withLocks(services, [personLock(person.username)], () => provisionLocked(clients, services, person, audit));
}

/**
 * A retry with the idempotency key of a provisioning that did not end cleanly: once none of its
 * writes can still land, what it left is removed, and the provisioning runs again, once. While a
 * write of it may still land, the answer stays unknown and the key stays bound to it.
 */
export function settleProvisioning(
  clients: WriteClients,
  services: ProvisioningServices,
  attempt: ProvisioningAttempt,
  person: NewPerson,
  audit: AuditTrail,
): Promise<ProvisionedPerson> {
  return withLocks(services, [personLock(person.username)], async () => {
    const { inDoubt } = attempt;
    if (inDoubt && services.now() < inDoubt.settleBy) {
      throw new ProvisioningLeftUnsettled('gate', `the first request with this key left ${inDoubt.record} in doubt, and it may still land; ask again later`, attempt);
    }
    const recovery = clients.recovery();
    const remove = removals(recovery);
    const removers: Record<RecordName, (id: string) => Promise<void>> = {
      'gate.user': remove.gateUser,
      'gate.userToken': remove.gateUserToken,
      'gate.userExtra': remove.gateUserExtra,
      'edge.user': remove.edgeUser,
      'edge.accessToken': async () => {},
    };
    const cleared = await retried(async () => {
      for (const { record, id } of attempt.leftovers) {
        await removers[record](id);
        audit.removed.push({ record, id });
      }
      if (inDoubt) {
        const found = await findInDoubt(recovery, attempt.username, inDoubt);
        if (found) {
          await removers[inDoubt.record](found);
          audit.removed.push({ record: inDoubt.record, id: found });
        }
      }
    });
    if (!cleared.ok) {
      throw new ProvisioningLeftUnsettled('gate', `what the first request with this key left could not be removed yet; ask again later`, { ...attempt, inDoubt: inDoubt && { ...inDoubt, settleBy: 0 } });
    }
    return provisionLocked(clients, services, person, audit);
  });
}

/** The id of the record a create in doubt made, when one is there and shows what it sent. */
async function findInDoubt(clients: WriteClients, username: string, inDoubt: NonNullable<ProvisioningAttempt['inDoubt']>): Promise<string | undefined> {
  const { gate, edge } = clients;
  const mine = <T extends { id: string | number }>(found: T | null) => (found && shows(found, inDoubt.sent) ? String(found.id) : undefined);
  switch (inDoubt.record) {
    case 'gate.user':
      return mine(await gate.getUserByUsername(username));
    case 'gate.userToken':
      return mine(await gate.findTokenByUsername(username, false));
    case 'gate.userExtra': {
      const user = await gate.getUserByUsername(username);
      return user ? mine(await gate.findExtraByParent(user.id, false)) : undefined;
    }
    case 'edge.user':
      return mine(await edge.findUserByUsername(username));
    case 'edge.accessToken':
      // A token made without an answer was removed with its account, or goes with it now.
      return undefined;
  }
}

async function provisionLocked(clients: WriteClients, services: ProvisioningServices, person: NewPerson, audit: AuditTrail): Promise<ProvisionedPerson> {
  const { gate, edge } = clients;
  const { username } = person;
  refuseShortDeadline(clients, person, 1);
  await requireUnheldUsername(clients, username);
  refuseShortDeadline(clients, person, 0);

  const saga = new Saga(clients, services, audit, username);
  const userFields = {
    username,
    email: person.email,
    organization: person.organization,
    firstName: person.firstName,
    lastName: person.lastName,
    role: person.role,
  };
  const user = await saga.step<GateUser>(
    {
      record: 'gate.user',
      create: () => gate.createUser({ ...userFields, password: person.password }),
      find: (recovery) => recovery.gate.getUserByUsername(username),
      ours: (found) => shows(found, userFields),
      remove: (created, recovery) => removals(recovery).gateUser(created.id),
      idOf: (created) => created.id,
    },
    userFields,
  );
  const tokenFields = {
    username,
    email: person.email,
    organization: person.organization,
    isActive: person.isActive,
    maxSessions: person.maxSessions,
    accessLevel: person.accessLevel,
  };
  const token = await saga.step<GateUserToken>(
    {
      record: 'gate.userToken',
      create: () => gate.createToken({ ...tokenFields, initialBalanceSeconds: person.initialBalanceSeconds }),
      find: (recovery) => recovery.gate.findTokenByUsername(username, false),
      ours: (found) => shows(found, { username, email: person.email, organization: person.organization }),
      remove: (created, recovery) => removals(recovery).gateUserToken(String(created.id)),
      idOf: (created) => String(created.id),
    },
    { username, email: person.email, organization: person.organization },
  );
  const extra = await saga.step<GateUserExtra>(
    {
      record: 'gate.userExtra',
      create: () => gate.createExtra({ parent: user.id, preferences: person.preferences, customFields: person.customFields }),
      find: (recovery) => recovery.gate.findExtraByParent(user.id, false),
      ours: (found) => found.parent === user.id,
      remove: (created, recovery) => removals(recovery).gateUserExtra(String(created.id)),
      idOf: (created) => String(created.id),
    },
    { parent: user.id },
  );
  if (!person.edge) return { user, token, extra, edgeAccount: null, accessToken: null };

  const { memberships, accessTokenTitle } = person.edge;
  const edgeFields = { username, email: person.email, firstName: person.firstName, lastName: person.lastName };
  const edgeAccount = await saga.step<EdgeUser>(
    {
      record: 'edge.user',
      create: () =>
        edge.createUser({
          ...edgeFields,
          password: person.password,
          organization: person.organization,
          isActive: person.isActive,
          memberships,
        }),
      find: (recovery) => recovery.edge.findUserByUsername(username),
      ours: (found) => shows(found, edgeFields),
      remove: (created, recovery) => removals(recovery).edgeUser(created.id),
      idOf: (created) => created.id,
    },
    edgeFields,
  );
  if (accessTokenTitle === undefined) return { user, token, extra, edgeAccount, accessToken: null };

  const accountId = edgeAccount.id;
  // A new account has no token but the one this step makes.
  const before = new Set<string>();
  const accessToken = await saga.step<NewAccessToken>(
    {
      record: 'edge.accessToken',
      create: () => createShownAccessToken(clients, accountId, accessTokenTitle, before, audit),
      find: (recovery) => foundAccessToken(recovery.edge, accountId, accessTokenTitle, before),
      ours: () => true,
      remove: (created, recovery) => removals(recovery).edgeAccessToken(accountId, created.token.id),
      idOf: (created) => created.token.id,
    },
    { title: accessTokenTitle },
  );
  return { user, token, extra, edgeAccount, accessToken };
}
