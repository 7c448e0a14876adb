import type { EdgeClient } from '../upstreams/edge/client.ts';
import type { EdgeAccessToken } from '../upstreams/edge/types.ts';
import type { WriteClients } from '../upstreams/index.ts';
import type { AuditedRecord, AuditTrail } from './audit.ts';
import { mayHaveLanded, writeFault } from './confirmed-writes.ts';
import { OutcomeUnknown } from './failures.ts';
import { removals } from './removals.ts';

/** An access token with the account it lives under, and its plaintext when it could be had. */
export interface NewAccessToken {
  token: EdgeAccessToken & { userId: string };
  plaintext: string | null;
}

/** The account's tokens of this title that were not there before: what a create may have left. */
async function landedSince(edge: EdgeClient, accountId: string, title: string, before: ReadonlySet<string>): Promise<EdgeAccessToken[]> {
  return (await edge.listAccessTokens(accountId).all()).filter((token) => token.title === title && !before.has(token.id));
}

/**
 * Removes the tokens a create whose answer was lost left behind. Each was made by this mutation:
 * audited as created, then removed, or left over from the one that could not be removed on.
 */
async function sweep(clients: WriteClients, accountId: string, landed: readonly EdgeAccessToken[], audit: AuditTrail): Promise<void> {
  const records: AuditedRecord[] = landed.map((token) => ({ record: 'edge.accessToken', id: token.id }));
  audit.created.push(...records);
  for (const [index, record] of records.entries()) {
    try {
      await removals(clients).edgeAccessToken(accountId, record.id);
    } catch (error) {
      audit.leftovers.push(...records.slice(index));
      throw error;
    }
    audit.removed.push(record);
  }
}

/**
 * A new access token, shown with its plaintext. edge shows a plaintext only in the answer to its
 * POST: when that answer is lost or of no use (a 5xx after the token was made, too), whatever
 * landed is of no use to anyone, so it is removed and the token asked for once more (not blindly:
 * none is there now). `before` are the account's token ids from before, which tell the one made
 * here apart; the caller holds the account's person lock, so no other create through the gateway
 * can have made one meanwhile. The token answered is for the caller to audit as created; those
 * swept on the way are audited here.
 */
export async function createShownAccessToken(
  clients: WriteClients,
  accountId: string,
  title: string,
  before: ReadonlySet<string>,
  audit: AuditTrail,
): Promise<NewAccessToken> {
  const { edge } = clients;
  const ask = async () => {
    const created = await edge.createAccessToken(accountId, title);
    return { token: { ...created.token, userId: accountId }, plaintext: created.plaintext };
  };
  try {
    return await ask();
  } catch (error) {
    if (!mayHaveLanded(error)) throw error;
    const recovery = clients.recovery();
    let landed: EdgeAccessToken[];
    try {
      landed = await landedSince(recovery.edge, accountId, title, before);
      await sweep(recovery, accountId, landed, audit);
    } catch {
      throw new OutcomeUnknown('edge', `edge did not answer the new token "${title}", and what landed could not be cleared: a token of that title may exist whose plaintext is lost; revoke it`, true);
    }
    if (landed.length) {
      return ask().catch((again: unknown) => {
        if (!mayHaveLanded(again)) throw again;
        throw new OutcomeUnknown('edge', `edge gave no usable answer for the new token "${title}", twice: a token of that title may exist whose plaintext is lost; revoke it`, true);
      });
    }
    if (writeFault(error) === 'unanswered') {
      throw new OutcomeUnknown('edge', `edge gave no answer for the new token "${title}" and none shows yet: it may still land, its plaintext lost; revoke it if it does`, true);
    }
    // Nothing landed and the exchange is over: the write failed, as its answer said.
    throw error;
  }
}

/** The one token a create of this title made, found again without its plaintext. */
export async function foundAccessToken(edge: EdgeClient, accountId: string, title: string, before: ReadonlySet<string>): Promise<NewAccessToken | null> {
  const [found] = await landedSince(edge, accountId, title, before);
  return found ? { token: { ...found, userId: accountId }, plaintext: null } : null;
}
