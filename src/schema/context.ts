import type { AuditSink } from '../provisioning/audit.ts';
import type { WriteScope } from '../provisioning/tenancy.ts';
import type { SharedState } from '../state/index.ts';
import type { CacheUse } from '../upstreams/call-path/cache.ts';
import type { RequestUpstreams } from '../upstreams/index.ts';

/** What the gateway's writes need beyond the upstreams: the same for every request. */
export interface WriteServices {
  /** Locks and idempotency keys, shared by every gateway process on one Redis. */
  state: SharedState;
  audit: AuditSink;
  /** Keys idempotency fingerprints; replicas sharing Redis must share it. */
  idempotencySecret: string;
  /** How long a balance change waits for its user's lock, and a repeated request for the first to end. */
  lockWaitMs: number;
  /**
   * How long after sending a write that got no answer it is taken to be still on its way
   * (`WRITE_SETTLE_MS`): until then a read-back that does not show it proves nothing.
   */
  settleMs: number;
  /** The clock settling reads (epoch ms): injected, so that tests move time instead of waiting. */
  now: () => number;
}

/** What a client may be allowed: read people, write them, see gate's AAA token strings, see every organization. */
export const SCOPES = ['users:read', 'users:write', 'tokens:secret', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** The authenticated client a request comes from. */
export interface Caller {
  /**
   * Who it is in every per-client store (idempotency keys, rate limits, admission shares) and in the
   * audit: the kind of credential, a JWT's issuer, the API key's id or the JWT's subject, and the
   * organization, each part with `%`, `:` and `@` escaped (`apikey:ops-console@acme`,
   * `jwt:https%3A//idp.example.com/:alice@acme`; `admin` has no organization); `anonymous` where
   * client authentication is off. Two clients never share one, whatever ids they are given.
   */
  key: string;
  scopes: ReadonlySet<Scope>;
  /** The one organization (as gate names it) it sees and changes; undefined with `admin`: every organization. */
  organization: string | undefined;
}

/** How one mutation field of a request was answered: for the answer's replay marks, the request log and the metrics. */
export interface AnsweredMutation {
  /** Where it is in the answer: its response key (the alias, when one is given). */
  path: readonly (string | number)[];
  mutation: string;
  /** As audited: `ok`, or the name of the failure it answered. */
  outcome: string;
  /** Answered from an earlier request with the same idempotency key: nothing was written for this one. */
  replayed: boolean;
}

/** What every resolver gets: the request's loaders and clients, and who is asking. */
export interface GatewayContext extends RequestUpstreams {
  requestId: string;
  /** The `performance.now()` by which the answer is due (`REQUEST_DEADLINE_MS` after it came). */
  deadline: number;
  caller: Caller;
  writes: WriteServices;
  /** What the caller's mutations may touch: its organization's people, or every one. */
  writeScope: WriteScope;
  /** Each mutation field answered so far, in the order they ran. */
  answeredMutations: AnsweredMutation[];
  /** How its reads meet the upstream cache: settled by `useReadCache` before any resolver runs. */
  cacheUse: CacheUse;
}
