import { confirmedDelete } from './confirmed-writes.ts';
import type { WriteClients } from '../upstreams/index.ts';

/**
 * How each kind of record is removed for good, as provisioning undoes its steps and
 * deprovisioning clears a person: a record already gone counts as removed, and a lost answer is
 * settled by reading back, under a budget of its own (`recovery`).
 */
export function removals(clients: WriteClients) {
  const { gate, edge } = clients;
  const gone = (remove: () => Promise<void>, find: (recovery: WriteClients) => Promise<unknown>) =>
    confirmedDelete(remove, async () => (await find(clients.recovery())) !== null, 'done');
  return {
    gateUser: (id: string) => gone(() => gate.deleteUser({ id }), (recovery) => recovery.gate.getUser(id)),
    gateUserToken: (id: string) => gone(() => gate.deleteToken(id), (recovery) => recovery.gate.getToken(id, false)),
    gateUserExtra: (id: string) => gone(() => gate.deleteExtra(id), (recovery) => recovery.gate.getExtra(id, false)),
    edgeUser: (id: string) => gone(() => edge.deleteUser(id), (recovery) => recovery.edge.getUser(id)),
    edgeAccessToken: (accountId: string, tokenId: string) =>
      gone(() => edge.deleteAccessToken(accountId, tokenId), (recovery) => recovery.edge.getAccessToken(accountId, tokenId)),
  };
}
