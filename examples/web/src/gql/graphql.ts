/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** Also create the person on edge (edge requires `firstName` and `lastName` then). */
export type ProvisionEdgeInput = {
  /** Also create a first API access token of this title; its plaintext is in the answer, once. */
  accessTokenTitle?: string | null | undefined;
  memberships?: Array<string> | null | undefined;
};

/** A person to create on every upstream at once, all or nothing. */
export type ProvisionUserInput = {
  accessLevel?: string | null | undefined;
  /** A JSON object, for the user extra. */
  customFields?: unknown;
  edge?: ProvisionEdgeInput | null | undefined;
  email: string;
  firstName?: string | null | undefined;
  /** The same key with the same input answers the first result without writing again, for 24 h; with another input, IdempotencyKeyReused. */
  idempotencyKey: string;
  initialBalanceSeconds?: number | null | undefined;
  isActive?: boolean | null | undefined;
  lastName?: string | null | undefined;
  maxSessions?: number | null | undefined;
  /** Set when the organization has no member yet: the person is its first. Harmless when it has members (a rerun). Not part of what the idempotency key compares. */
  newOrganization?: boolean | null | undefined;
  /** An organization gate has members of; a new one only with `newOrganization` (else a ValidationError names the closest known one). */
  organization: string;
  /** At least 8 characters; set on gate (and edge), never shown again. */
  password: string;
  /** A JSON object, for the user extra. */
  preferences?: unknown;
  role?: string | null | undefined;
  username: string;
};

export type PeopleQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  last?: number | null | undefined;
  before?: string | null | undefined;
}>;


export type PeopleQuery = { users: { totalCount: number | null, pageInfo: { hasPreviousPage: boolean, hasNextPage: boolean, startCursor: string | null, endCursor: string | null }, edges: Array<{ node: { id: string, username: string, firstName: string | null, lastName: string | null, organization: string | null } }> } | null };

export type PersonQueryVariables = Exact<{
  id: string;
}>;


export type PersonQuery = { node:
    | { __typename: 'AccessToken' }
    | { __typename: 'Balance' }
    | { __typename: 'Device' }
    | { __typename: 'EdgeUser' }
    | { __typename: 'Extra' }
    | { __typename: 'LoginHistory' }
    | { __typename: 'SwitchUser' }
    | { __typename: 'Token' }
    | { __typename: 'User', id: string, username: string, firstName: string | null, lastName: string | null, email: string | null, organization: string | null, token: { accessLevel: string | null, isActive: boolean | null, maxSessions: number | null } | null, balance: { seconds: number | null, humanReadable: string | null, lastActivity: string | null } | null, edgeAccount: { edgeId: string, isActive: boolean | null, memberships: Array<string> | null, dateJoined: string | null } | null, loginHistory: { totalCount: number | null, edges: Array<{ node: { id: string, attemptedAt: string | null, success: boolean | null, remoteAddress: string | null } }> } | null }
   | null };

export type ProvisionPersonMutationVariables = Exact<{
  input: ProvisionUserInput;
}>;


export type ProvisionPersonMutation = { provisionUser:
    | { __typename: 'ConflictError', message: string }
    | { __typename: 'DeadlineTooShort', message: string, neededMs: number }
    | { __typename: 'ForbiddenError', message: string, requiredScope: string }
    | { __typename: 'IdempotencyKeyBusy', message: string }
    | { __typename: 'IdempotencyKeyReused', message: string }
    | { __typename: 'OutcomeUnknown', message: string, upstream: string }
    | { __typename: 'ProvisionUserPayload', user: { id: string, username: string } }
    | { __typename: 'ProvisioningFailed', message: string, failedStep: string, leftovers: Array<string> }
    | { __typename: 'UpstreamFailure', message: string, upstream: string, retryable: boolean }
    | { __typename: 'ValidationError', message: string, fieldErrors: Array<{ field: string, message: string }> }
   };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}

export const PeopleDocument = {"__meta__":{"hash":"sha256:c58a6719a164f19aa23f6af3b15fa8a5e725dc92c390e24dcca969d6e76ca753"}} as unknown as TypedDocumentString<PeopleQuery, PeopleQueryVariables>;
export const PersonDocument = {"__meta__":{"hash":"sha256:2c43b2f3020f9153297f924481e2787fc17a187d70d97ed939c2b583182d2164"}} as unknown as TypedDocumentString<PersonQuery, PersonQueryVariables>;
export const ProvisionPersonDocument = {"__meta__":{"hash":"sha256:df6321a31ff7af1cadc872c47acf69f8844e300611dccd0cf61ee6a187b1ea24"}} as unknown as TypedDocumentString<ProvisionPersonMutation, ProvisionPersonMutationVariables>;