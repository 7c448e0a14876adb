import type { UpstreamName } from '../upstreams/http.ts';
import type { WriteClients } from '../upstreams/index.ts';
import { ConflictError } from './failures.ts';
import type { WriteScope } from './tenancy.ts';

/** What finding a username's holders reads: gate, edge and switch (only read: it has no writes). */
type UsernameClients = Pick<WriteClients, 'gate' | 'edge' | 'switch'>;

/** The upstreams beside gate that hold an account of this username. */
async function heldBesideGate({ edge, switch: carrierSwitch }: UsernameClients, username: string): Promise<UpstreamName[]> {
  const [edgeUser, switchUser] = await Promise.all([edge.findUserByUsername(username), carrierSwitch.findUserByName(username)]);
  return [...(edgeUser ? (['edge'] as const) : []), ...(switchUser ? (['switch'] as const) : [])];
}

/** A username taken, naming the upstreams that hold it (never what they hold). */
const takenOn = (username: string, upstreams: readonly UpstreamName[], outcome: string) =>
  new ConflictError(`${username} is taken on ${upstreams.join(' and ')}; ${outcome}`);

/** ConflictError, before anything is written, when any upstream holds the username: gate (a user or a user token), edge or switch. */
export async function requireUnheldUsername(clients: UsernameClients, username: string): Promise<void> {
  const [gateUser, gateToken, others] = await Promise.all([
    clients.gate.getUserByUsername(username),
    clients.gate.findTokenByUsername(username, false),
    heldBesideGate(clients, username),
  ]);
  const upstreams: UpstreamName[] = [...(gateUser || gateToken ? (['gate'] as const) : []), ...others];
  if (upstreams.length) throw takenOn(username, upstreams, 'nothing was created');
}

/**
 * An edge or switch account whose username has no gate user (an orphan: left by deleting or
 * renaming a gate user, and switch's cannot be removed) belongs to no organization, and its login
 * history with it. A gate user given that name would hand it to the writer's organization, so a
 * bound writer may not (ConflictError); `admin` may, which is how it links such accounts. For a
 * name gate has no user of.
 */
export async function requireNoOrphanAccounts(scope: WriteScope, clients: UsernameClients, username: string): Promise<void> {
  if (!scope.bound) return;
  const upstreams = await heldBesideGate(clients, username);
  if (upstreams.length) throw takenOn(username, upstreams, 'nothing was written');
}
