import { UpstreamError, type UpstreamName } from './http.ts';

/** Whom a request's reads are for: a client bound to an organization sees only its people. */
export interface Tenancy {
  /** As gate names it on `/user/`; undefined: every organization (`admin`). */
  organization: string | undefined;
}

/**
 * The people of one organization, as gate has them: an edge or switch account belongs to the
 * organization of the gate user with its username, and is visible to no one else but `admin`.
 */
export interface Membership {
  readonly organization: string;
  /** Whether gate's user with this username belongs to the organization (one lookup per username). */
  hasUsername(username: string): Promise<boolean>;
  /** Whether gate's user with this id belongs to the organization. */
  hasUserId(id: string): Promise<boolean>;
  /** All of them, read once per request, for lists an upstream cannot filter by organization. */
  everyone(): Promise<{ usernames: ReadonlySet<string>; ids: ReadonlySet<string> }>;
  /** The number gate's `/user_extra/` files the organization's extras under, once the gateway has seen one. */
  extraNumber(): string | undefined;
}

/** How far the gateway reads a list to filter it for an organization (`TENANT_SCAN_MAX_ITEMS`). */
export interface TenantScanLimit {
  maxItems: number;
}

/** The refusal of a list too long to filter; how long it is stays unsaid, as it counts other organizations. */
export function scanTooLong(upstream: UpstreamName, what: string, limit: TenantScanLimit) {
  return () =>
    new UpstreamError(
      upstream,
      'UPSTREAM_LIST_TOO_LONG',
      `${upstream}'s ${what} holds more than the ${limit.maxItems} items read to filter it for one organization (TENANT_SCAN_MAX_ITEMS)`,
    );
}

/** A promise made once and shared; a failed one is made again by the next caller. */
export function sharedOnce<T>(make: () => Promise<T>): { get(): Promise<T>; reset(): void } {
  let pending: Promise<T> | undefined;
  return {
    get() {
      pending ??= make().catch((error: unknown) => {
        pending = undefined;
        throw error;
      });
      return pending;
    },
    reset() {
      pending = undefined;
    },
  };
}
