import type { Membership } from '../upstreams/tenancy.ts';
import { ForbiddenError, keyReused, NotFoundError, ValidationError } from './failures.ts';

/**
 * What a writer bound to an organization may touch: the records its reads would show, and new
 * ones filed under its own organization. Whatever lies outside looks missing (`NotFoundError`),
 * exactly as in its reads. Without a membership (`admin`, or client auth off) everything is in.
 */
export class WriteScope {
  private readonly membership: Membership | undefined;
  constructor(membership: Membership | undefined) {
    this.membership = membership;
  }

  /** Whether the writer is bound to one organization, so that what it names must be checked first. */
  get bound(): boolean {
    return this.membership !== undefined;
  }

  /** A gate user or user token as read fresh: itself when it is the writer's, else null. */
  owned<T extends { organization: string | null }>(record: T | null): T | null {
    if (!record || this.membership === undefined) return record;
    return record.organization === this.membership.organization ? record : null;
  }

  /**
   * What an idempotency key kept (a user, a user token), before it is answered again: a replay
   * skips every check of the first run, so it goes only to a writer that may see the record. Keys
   * are kept per caller, organization included; this holds even if two callers came to share one.
   */
  replayable<T extends { organization: string | null }>(kept: T): T {
    if (!this.owned(kept)) throw keyReused();
    return kept;
  }

  /** The record, or NotFoundError (`missing`) when it is not there for this writer. */
  found<T extends { organization: string | null }>(record: T | null, missing: string): T {
    const mine = this.owned(record);
    if (!mine) throw new NotFoundError(missing);
    return mine;
  }

  /** Whether the person with this username is the writer's: edge accounts and user extras follow their gate user. */
  async ownsPerson(key: { username: string } | { gateUserId: string }): Promise<boolean> {
    if (this.membership === undefined) return true;
    return 'username' in key ? this.membership.hasUsername(key.username) : this.membership.hasUserId(key.gateUserId);
  }

  /** NotFoundError (`missing`) unless the person is the writer's. */
  async requirePerson(key: { username: string } | { gateUserId: string }, missing: string): Promise<void> {
    if (!(await this.ownsPerson(key))) throw new NotFoundError(missing);
  }

  /** A username a new record is given must be one of the writer's people, or it would file the record under someone else's. */
  async requireOwnUsername(username: string, field: string): Promise<void> {
    if (this.membership === undefined || (await this.membership.hasUsername(username))) return;
    throw new ValidationError([{ field, message: `must be the username of a gate user of organization ${this.membership.organization}` }]);
  }

  /** The organization a new or replaced record is filed under: the writer's own when not given; another is refused. */
  organizationFor(given: string | null | undefined, field: string): string | undefined {
    if (this.membership === undefined) return given ?? undefined;
    this.checkOrganization(given, field);
    return this.membership.organization;
  }

  /**
   * Rights over the whole of a shared upstream (edge's superuser and staff flags reach every
   * organization's accounts) are `admin`'s to give or take: a bound writer that sets any of these
   * input fields is refused before anything is asked.
   */
  requireAdminFor(fields: readonly string[]): void {
    if (this.membership === undefined || fields.length === 0) return;
    throw new ForbiddenError('admin', [...fields], `only an admin client may set ${fields.join(' or ')}: it gives rights beyond organization ${this.membership.organization}`);
  }

  /** An organization a change names (undefined: unchanged) must be the writer's own. */
  checkOrganization(given: string | null | undefined, field: string): void {
    if (this.membership === undefined || given === undefined || given === this.membership.organization) return;
    throw new ValidationError([{ field, message: `must be ${this.membership.organization}, the organization this client writes to` }]);
  }

  /**
   * The number a user extra is filed under (`organizationId`): a bound writer may only name its own
   * organization's, as gate files its other extras; left out, gate files it by the parent.
   */
  checkExtraNumber(given: string | null | undefined, field: string): void {
    if (this.membership === undefined || given === undefined) return;
    const own = this.membership.extraNumber();
    if (given !== null && given === own) return;
    throw new ValidationError([
      { field, message: own === undefined ? 'is filed by gate from the parent user: leave it out' : `must be ${own}, the number gate files this organization's extras under` },
    ]);
  }
}
