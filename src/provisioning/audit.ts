/** The upstream records a write touches, named as the API names them in `failedStep`, `leftovers` and `removed`. */
export type RecordName = 'gate.user' | 'gate.userToken' | 'gate.userExtra' | 'edge.user' | 'edge.accessToken';

export interface AuditedRecord {
  record: RecordName;
  id: string;
}

/** One line of the audit log: who did what to which upstream records, and how it ended. No secrets. */
export interface AuditEntry {
  who: string;
  mutation: string;
  requestId: string;
  /** `ok`, or the typename of the failure the client got. */
  outcome: string;
  /** Answered from an earlier request with the same idempotency key: nothing was written. */
  replayed: boolean;
  created: AuditedRecord[];
  changed: AuditedRecord[];
  removed: AuditedRecord[];
  /** What a failed provisioning could not undo. */
  leftovers: AuditedRecord[];
}

export type AuditSink = (entry: AuditEntry) => void;

/** What one mutation did upstream, gathered as it goes (a failed saga's undone steps show as created, then removed). */
export class AuditTrail {
  readonly created: AuditedRecord[] = [];
  readonly changed: AuditedRecord[] = [];
  readonly removed: AuditedRecord[] = [];
  readonly leftovers: AuditedRecord[] = [];
  replayed = false;

  readonly mutation: string;
  constructor(mutation: string) {
    this.mutation = mutation;
  }

  entry(who: string, requestId: string, outcome: string): AuditEntry {
    const { mutation, replayed, created, changed, removed, leftovers } = this;
    return { who, mutation, requestId, outcome, replayed, created, changed, removed, leftovers };
  }
}
