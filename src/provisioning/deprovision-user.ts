import { UpstreamError } from '../upstreams/http.ts';
import type { AuditTrail, RecordName } from './audit.ts';
import { retried } from './confirmed-writes.ts';
import { ConflictError, NotFoundError, OutcomeUnknown, ProvisioningFailed } from './failures.ts';
import type { WriteClients } from '../upstreams/index.ts';
import { removals } from './removals.ts';
import type { WriteScope } from './tenancy.ts';

interface Removal {
  record: RecordName;
  id: string;
  remove(): Promise<void>;
}

/**
 * Removes the person from every upstream where they exist (switch is read-only), tolerating parts
 * already gone. The user token goes first: while it has active sessions gate refuses (409), and
 * then nothing else has been removed. Answers what was removed, in order.
 */
export async function deprovisionUser(clients: WriteClients, scope: WriteScope, username: string, audit: AuditTrail): Promise<RecordName[]> {
  const { gate, edge } = clients;
  const [user, token, anyAccount] = await Promise.all([
    gate.getUserByUsername(username).then((found) => scope.owned(found)),
    gate.findTokenByUsername(username, false).then((found) => scope.owned(found)),
    edge.findUserByUsername(username),
  ]);
  // An edge account is a bound writer's only when the gate user of its username is.
  const account = scope.bound && !user ? null : anyAccount;
  const [extra, accessTokens] = await Promise.all([
    user ? gate.findExtraByParent(user.id, false) : null,
    account ? edge.listAccessTokens(account.id).all() : [],
  ]);
  if (!user && !token && !account && !extra) throw new NotFoundError(`no upstream has a person named ${username}`);

  const remove = removals(clients);
  const steps: Removal[] = [];
  if (token) steps.push({ record: 'gate.userToken', id: String(token.id), remove: () => remove.gateUserToken(String(token.id)) });
  if (account) {
    for (const accessToken of accessTokens) {
      steps.push({ record: 'edge.accessToken', id: accessToken.id, remove: () => remove.edgeAccessToken(account.id, accessToken.id) });
    }
    steps.push({ record: 'edge.user', id: account.id, remove: () => remove.edgeUser(account.id) });
  }
  if (extra) steps.push({ record: 'gate.userExtra', id: String(extra.id), remove: () => remove.gateUserExtra(String(extra.id)) });
  if (user) steps.push({ record: 'gate.user', id: user.id, remove: () => remove.gateUser(user.id) });

  for (const [index, removal] of steps.entries()) {
    const outcome = await retried(removal.remove);
    if (outcome.ok) {
      audit.removed.push({ record: removal.record, id: removal.id });
      continue;
    }
    const { error } = outcome;
    if (index === 0 && error instanceof UpstreamError && error.code === 'UPSTREAM_CONFLICT') {
      throw new ConflictError(`gate refuses to remove the user token of ${username} while it has active sessions; nothing was removed`);
    }
    const left = steps.slice(index);
    audit.leftovers.push(...left.map(({ record, id }) => ({ record, id })));
    if (error instanceof OutcomeUnknown) throw error;
    const because = error instanceof Error ? error.message : 'an unexpected error';
    throw new ProvisioningFailed(
      removal.record,
      left.map(({ record }) => record),
      `removing ${username} stopped at ${removal.record} (${because}); left: ${left.map(({ record }) => record).join(', ')}`,
    );
  }
  return steps.map(({ record }) => record);
}
