import type { AuditSink } from '../provisioning/audit.ts';
import type { SharedState } from '../state/index.ts';
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
}

/** What every resolver gets: the request's loaders and clients, and who is asking. */
export interface GatewayContext extends RequestUpstreams {
  requestId: string;
  /** The client's id, for the audit log (`anonymous` until clients authenticate). */
  who: string;
  writes: WriteServices;
}
