import { confirmedDelete } from './confirmed-writes.ts';
import type { ProvisioningClients } from './provision-user.ts';

/**
 * How each kind of record is removed for good, as provisioning undoes its steps and
 * deprovisioning clears a person: a record already gone counts as removed, and a lost answer is
 * settled by reading back.
 */
export function removals({ gate, edge }: ProvisioningClients) {
  const gone = (remove: () => Promise<void>, find: () => Promise<unknown>) => confirmedDelete(remove, async () => (await find()) !== null, 'done');
  return {
    gateUser: (id: string) => gone(() => gate.deleteUser({ id }), () => gate.getUser(id)),
    gateUserToken: (id: string) => gone(() => gate.deleteToken(id), () => gate.getToken(id, false)),
    gateUserExtra: (id: string) => gone(() => gate.deleteExtra(id), () => gate.getExtra(id, false)),
    edgeUser: (id: string) => gone(() => edge.deleteUser(id), () => edge.getUser(id)),
    edgeAccessToken: (accountId: string, tokenId: string) =>
      gone(() => edge.deleteAccessToken(accountId, tokenId), () => edge.getAccessToken(accountId, tokenId)),
  };
}
