/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** A new API access token for an edge user, named by `edgeId` or `username`. */
export type CreateAccessTokenInput = {
  /** edge's id of the user (`EdgeUser.edgeId`); or give `username`. */
  edgeId?: string | null | undefined;
  title: string;
  /** The exact username of the edge user; or give `edgeId`. */
  username?: string | null | undefined;
};

/** A new edge user: username, password, first and last name and email are required by edge. */
export type CreateEdgeUserInput = {
  allowRestAccess?: boolean | null | undefined;
  canInbox?: boolean | null | undefined;
  description?: string | null | undefined;
  email: string;
  firstName: string;
  isActive?: boolean | null | undefined;
  isStaff?: boolean | null | undefined;
  isSuperuser?: boolean | null | undefined;
  lastName: string;
  memberships?: Array<string> | null | undefined;
  organization?: string | null | undefined;
  /** At least 8 characters; never shown again. */
  password: string;
  username: string;
};

/** A person's user extra; the person is named by `username` or by gate's id (`parent`). */
export type CreateExtraInput = {
  /** A JSON object. */
  customFields?: unknown;
  organizationId?: string | null | undefined;
  /** The person's gate user id (`User.gateId`). */
  parent?: string | null | undefined;
  /** A JSON object. */
  preferences?: unknown;
  username?: string | null | undefined;
};

/** A person's new AAA account on gate, with its initial time balance. */
export type CreateTokenInput = {
  accessLevel?: string | null | undefined;
  email: string;
  /** The balance it starts with, in seconds (sent as `initial_balance_seconds`). */
  initialBalanceSeconds?: number | null | undefined;
  isActive?: boolean | null | undefined;
  maxSessions?: number | null | undefined;
  organization: string;
  username: string;
};

export type DeprovisionUserInput = {
  username: string;
};

/** The fields to change; those left out (or null) stay as they are. */
export type EdgeUserChangesInput = {
  allowRestAccess?: boolean | null | undefined;
  canInbox?: boolean | null | undefined;
  description?: string | null | undefined;
  email?: string | null | undefined;
  firstName?: string | null | undefined;
  isActive?: boolean | null | undefined;
  isStaff?: boolean | null | undefined;
  isSuperuser?: boolean | null | undefined;
  lastName?: string | null | undefined;
  memberships?: Array<string> | null | undefined;
  organization?: string | null | undefined;
  username?: string | null | undefined;
};

/** The extra as a whole: what is left out is emptied, but for `organizationId`, which stays as it is unless given. */
export type ExtraReplacementInput = {
  /** A JSON object. */
  customFields?: unknown;
  organizationId?: string | null | undefined;
  /** A JSON object. */
  preferences?: unknown;
};

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

export type ReplaceExtraInput = {
  extra: ExtraReplacementInput;
  /** gate's id of the user extra (`Extra.gateId`); or give `username`. */
  gateId?: string | null | undefined;
  /** The username of the extra's person; or give `gateId`. */
  username?: string | null | undefined;
};

/** The fields to change; those left out (or null) stay as they are. The balance changes with `setBalance` and `addBalance`. */
export type TokenChangesInput = {
  accessLevel?: string | null | undefined;
  email?: string | null | undefined;
  isActive?: boolean | null | undefined;
  maxSessions?: number | null | undefined;
  organization?: string | null | undefined;
  username?: string | null | undefined;
};

export type UpdateEdgeUserInput = {
  changes: EdgeUserChangesInput;
  /** edge's id of the user (`EdgeUser.edgeId`); or give `username`. */
  edgeId?: string | null | undefined;
  /** The exact username of the edge user; or give `edgeId`. */
  username?: string | null | undefined;
};

export type UpdateTokenInput = {
  changes: TokenChangesInput;
  /** gate's id of the user token (`Token.gateId`); or give `username`. */
  gateId?: string | null | undefined;
  /** The username of the user token; or give `gateId`. */
  username?: string | null | undefined;
};

export type UpdateUserInput = {
  changes: UserChangesInput;
  /** gate's id of the user (`User.gateId`); or give `username`. */
  gateId?: string | null | undefined;
  /** The username of the user; or give `gateId`. */
  username?: string | null | undefined;
};

/** The fields to change; those left out (or null) stay as they are. */
export type UserChangesInput = {
  email?: string | null | undefined;
  firstName?: string | null | undefined;
  lastName?: string | null | undefined;
  organization?: string | null | undefined;
  /** At least 8 characters; never shown again. */
  password?: string | null | undefined;
  role?: string | null | undefined;
  /** Letters, digits and `@ . + - _`, at most 150. */
  username?: string | null | undefined;
};

type OnboardFailure_ConflictError_Fragment = { __typename: 'ConflictError', message: string };

type OnboardFailure_DeadlineTooShort_Fragment = { __typename: 'DeadlineTooShort', message: string };

type OnboardFailure_ForbiddenError_Fragment = { __typename: 'ForbiddenError', requiredScope: string, fields: Array<string>, message: string };

type OnboardFailure_IdempotencyKeyBusy_Fragment = { __typename: 'IdempotencyKeyBusy', message: string };

type OnboardFailure_IdempotencyKeyReused_Fragment = { __typename: 'IdempotencyKeyReused', message: string };

type OnboardFailure_LockTimeout_Fragment = { __typename: 'LockTimeout', message: string };

type OnboardFailure_NotFoundError_Fragment = { __typename: 'NotFoundError', message: string };

type OnboardFailure_OutcomeUnknown_Fragment = { __typename: 'OutcomeUnknown', upstream: string, message: string };

type OnboardFailure_ProvisioningFailed_Fragment = { __typename: 'ProvisioningFailed', failedStep: string, leftovers: Array<string>, message: string };

type OnboardFailure_UpstreamFailure_Fragment = { __typename: 'UpstreamFailure', upstream: string, status: number | null, retryable: boolean, message: string };

type OnboardFailure_ValidationError_Fragment = { __typename: 'ValidationError', message: string, fieldErrors: Array<{ field: string, message: string }> };

export type OnboardFailureFragment =
  | OnboardFailure_ConflictError_Fragment
  | OnboardFailure_DeadlineTooShort_Fragment
  | OnboardFailure_ForbiddenError_Fragment
  | OnboardFailure_IdempotencyKeyBusy_Fragment
  | OnboardFailure_IdempotencyKeyReused_Fragment
  | OnboardFailure_LockTimeout_Fragment
  | OnboardFailure_NotFoundError_Fragment
  | OnboardFailure_OutcomeUnknown_Fragment
  | OnboardFailure_ProvisioningFailed_Fragment
  | OnboardFailure_UpstreamFailure_Fragment
  | OnboardFailure_ValidationError_Fragment
;

export type OnboardEdgeAccountFragment = { id: string, edgeId: string, email: string | null, firstName: string | null, lastName: string | null, isActive: boolean | null, memberships: Array<string> | null, accessTokens?: { edges: Array<{ node: { id: string, title: string | null, active: boolean | null } }> } | null };

export type OnboardMemberFragment = { id: string, gateId: string, username: string, email: string | null, firstName: string | null, lastName: string | null, role: string | null, organization: string | null, token: { id: string, gateId: string, email: string | null, isActive: boolean | null, accessLevel: string | null, maxSessions: number | null } | null, extra: { id: string, gateId: string, organizationId: string | null, preferences: unknown, customFields: unknown } | null, edgeAccount: { id: string, edgeId: string, email: string | null, firstName: string | null, lastName: string | null, isActive: boolean | null, memberships: Array<string> | null, accessTokens?: { edges: Array<{ node: { id: string, title: string | null, active: boolean | null } }> } | null } | null };

export type OnboardMembersQueryVariables = Exact<{
  organization: string;
  first: number;
  after?: string | null | undefined;
  withAccessTokens: boolean;
}>;


export type OnboardMembersQuery = { users: { pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, gateId: string, username: string, email: string | null, firstName: string | null, lastName: string | null, role: string | null, organization: string | null, token: { id: string, gateId: string, email: string | null, isActive: boolean | null, accessLevel: string | null, maxSessions: number | null } | null, extra: { id: string, gateId: string, organizationId: string | null, preferences: unknown, customFields: unknown } | null, edgeAccount: { id: string, edgeId: string, email: string | null, firstName: string | null, lastName: string | null, isActive: boolean | null, memberships: Array<string> | null, accessTokens?: { edges: Array<{ node: { id: string, title: string | null, active: boolean | null } }> } | null } | null } }> } | null };

export type OnboardHolderQueryVariables = Exact<{
  username: string;
}>;


export type OnboardHolderQuery = { user: { username: string, organization: string | null } | null };

export type OnboardProvisionMutationVariables = Exact<{
  input: ProvisionUserInput;
}>;


export type OnboardProvisionMutation = { provisionUser:
    | { __typename: 'ConflictError', message: string }
    | { __typename: 'DeadlineTooShort', message: string }
    | { __typename: 'ForbiddenError', requiredScope: string, fields: Array<string>, message: string }
    | { __typename: 'IdempotencyKeyBusy', message: string }
    | { __typename: 'IdempotencyKeyReused', message: string }
    | { __typename: 'OutcomeUnknown', upstream: string, message: string }
    | { __typename: 'ProvisionUserPayload', user: { id: string }, token: { id: string }, extra: { id: string }, edgeAccount: { id: string } | null, accessToken: { plaintext: string | null, accessToken: { id: string } } | null }
    | { __typename: 'ProvisioningFailed', failedStep: string, leftovers: Array<string>, message: string }
    | { __typename: 'UpstreamFailure', upstream: string, status: number | null, retryable: boolean, message: string }
    | { __typename: 'ValidationError', message: string, fieldErrors: Array<{ field: string, message: string }> }
   };

export type OnboardUpdateUserMutationVariables = Exact<{
  input: UpdateUserInput;
}>;


export type OnboardUpdateUserMutation = { updateUser:
    | { __typename: 'ConflictError', message: string }
    | { __typename: 'ForbiddenError', requiredScope: string, fields: Array<string>, message: string }
    | { __typename: 'NotFoundError', message: string }
    | { __typename: 'OutcomeUnknown', upstream: string, message: string }
    | { __typename: 'UpdateUserPayload', user: { id: string } }
    | { __typename: 'UpstreamFailure', upstream: string, status: number | null, retryable: boolean, message: string }
    | { __typename: 'ValidationError', message: string, fieldErrors: Array<{ field: string, message: string }> }
   };

export type OnboardCreateTokenMutationVariables = Exact<{
  input: CreateTokenInput;
}>;


export type OnboardCreateTokenMutation = { createToken:
    | { __typename: 'ConflictError', message: string }
    | { __typename: 'CreateTokenPayload', token: { id: string } }
    | { __typename: 'ForbiddenError', requiredScope: string, fields: Array<string>, message: string }
    | { __typename: 'OutcomeUnknown', upstream: string, message: string }
    | { __typename: 'UpstreamFailure', upstream: string, status: number | null, retryable: boolean, message: string }
    | { __typename: 'ValidationError', message: string, fieldErrors: Array<{ field: string, message: string }> }
   };

export type OnboardUpdateTokenMutationVariables = Exact<{
  input: UpdateTokenInput;
}>;


export type OnboardUpdateTokenMutation = { updateToken:
    | { __typename: 'ConflictError', message: string }
    | { __typename: 'ForbiddenError', requiredScope: string, fields: Array<string>, message: string }
    | { __typename: 'NotFoundError', message: string }
    | { __typename: 'OutcomeUnknown', upstream: string, message: string }
    | { __typename: 'UpdateTokenPayload', token: { id: string } }
    | { __typename: 'UpstreamFailure', upstream: string, status: number | null, retryable: boolean, message: string }
    | { __typename: 'ValidationError', message: string, fieldErrors: Array<{ field: string, message: string }> }
   };

export type OnboardCreateExtraMutationVariables = Exact<{
  input: CreateExtraInput;
}>;


export type OnboardCreateExtraMutation = { createExtra:
    | { __typename: 'ConflictError', message: string }
    | { __typename: 'CreateExtraPayload', extra: { id: string } }
    | { __typename: 'ForbiddenError', requiredScope: string, fields: Array<string>, message: string }
    | { __typename: 'NotFoundError', message: string }
    | { __typename: 'OutcomeUnknown', upstream: string, message: string }
    | { __typename: 'UpstreamFailure', upstream: string, status: number | null, retryable: boolean, message: string }
    | { __typename: 'ValidationError', message: string, fieldErrors: Array<{ field: string, message: string }> }
   };

export type OnboardReplaceExtraMutationVariables = Exact<{
  input: ReplaceExtraInput;
}>;


export type OnboardReplaceExtraMutation = { replaceExtra:
    | { __typename: 'ForbiddenError', requiredScope: string, fields: Array<string>, message: string }
    | { __typename: 'NotFoundError', message: string }
    | { __typename: 'OutcomeUnknown', upstream: string, message: string }
    | { __typename: 'ReplaceExtraPayload', extra: { id: string } }
    | { __typename: 'UpstreamFailure', upstream: string, status: number | null, retryable: boolean, message: string }
    | { __typename: 'ValidationError', message: string, fieldErrors: Array<{ field: string, message: string }> }
   };

export type OnboardCreateEdgeUserMutationVariables = Exact<{
  input: CreateEdgeUserInput;
}>;


export type OnboardCreateEdgeUserMutation = { createEdgeUser:
    | { __typename: 'ConflictError', message: string }
    | { __typename: 'CreateEdgeUserPayload', edgeUser: { id: string } }
    | { __typename: 'ForbiddenError', requiredScope: string, fields: Array<string>, message: string }
    | { __typename: 'OutcomeUnknown', upstream: string, message: string }
    | { __typename: 'UpstreamFailure', upstream: string, status: number | null, retryable: boolean, message: string }
    | { __typename: 'ValidationError', message: string, fieldErrors: Array<{ field: string, message: string }> }
   };

export type OnboardUpdateEdgeUserMutationVariables = Exact<{
  input: UpdateEdgeUserInput;
}>;


export type OnboardUpdateEdgeUserMutation = { updateEdgeUser:
    | { __typename: 'ConflictError', message: string }
    | { __typename: 'ForbiddenError', requiredScope: string, fields: Array<string>, message: string }
    | { __typename: 'NotFoundError', message: string }
    | { __typename: 'OutcomeUnknown', upstream: string, message: string }
    | { __typename: 'UpdateEdgeUserPayload', edgeUser: { id: string } }
    | { __typename: 'UpstreamFailure', upstream: string, status: number | null, retryable: boolean, message: string }
    | { __typename: 'ValidationError', message: string, fieldErrors: Array<{ field: string, message: string }> }
   };

export type OnboardCreateAccessTokenMutationVariables = Exact<{
  input: CreateAccessTokenInput;
}>;


export type OnboardCreateAccessTokenMutation = { createAccessToken:
    | { __typename: 'CreatedAccessToken', plaintext: string | null, accessToken: { id: string } }
    | { __typename: 'ForbiddenError', requiredScope: string, fields: Array<string>, message: string }
    | { __typename: 'NotFoundError', message: string }
    | { __typename: 'OutcomeUnknown', upstream: string, message: string }
    | { __typename: 'UpstreamFailure', upstream: string, status: number | null, retryable: boolean, message: string }
    | { __typename: 'ValidationError', message: string, fieldErrors: Array<{ field: string, message: string }> }
   };

export type OnboardDeprovisionMutationVariables = Exact<{
  input: DeprovisionUserInput;
}>;


export type OnboardDeprovisionMutation = { deprovisionUser:
    | { __typename: 'ConflictError', message: string }
    | { __typename: 'DeprovisionUserPayload', username: string, removed: Array<string> }
    | { __typename: 'ForbiddenError', requiredScope: string, fields: Array<string>, message: string }
    | { __typename: 'NotFoundError', message: string }
    | { __typename: 'OutcomeUnknown', upstream: string, message: string }
    | { __typename: 'ProvisioningFailed', failedStep: string, leftovers: Array<string>, message: string }
    | { __typename: 'UpstreamFailure', upstream: string, status: number | null, retryable: boolean, message: string }
    | { __typename: 'ValidationError', message: string, fieldErrors: Array<{ field: string, message: string }> }
   };

export type ReportMembersQueryVariables = Exact<{
  organization: string;
  first: number;
  after?: string | null | undefined;
}>;


export type ReportMembersQuery = { organization: { name: string, memberCount: number, members: { pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { username: string, email: string | null, firstName: string | null, lastName: string | null, role: string | null, balance: { seconds: number | null } | null } }> } | null } | null };

export type ReportAccessTokensQueryVariables = Exact<{
  organization: string;
  first: number;
  after?: string | null | undefined;
}>;


export type ReportAccessTokensQuery = { organization: { activeAccessTokens: { pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { owner: { username: string } | null } }> } | null } | null };

export type ReportOnlineSwitchUsersQueryVariables = Exact<{
  organization: string;
  first: number;
  after?: string | null | undefined;
}>;


export type ReportOnlineSwitchUsersQuery = { organization: { onlineSwitchUsers: { pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { name: string } }> } | null } | null };

export type ReportOrganizationsQueryVariables = Exact<{ [key: string]: never; }>;


export type ReportOrganizationsQuery = { organizations: Array<{ name: string, memberCount: number }> | null };

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
export const OnboardFailureFragmentDoc = new TypedDocumentString(`
    fragment OnboardFailure on Error {
  __typename
  message
  ... on ValidationError {
    fieldErrors {
      field
      message
    }
  }
  ... on UpstreamFailure {
    upstream
    status
    retryable
  }
  ... on OutcomeUnknown {
    upstream
  }
  ... on ProvisioningFailed {
    failedStep
    leftovers
  }
  ... on ForbiddenError {
    requiredScope
    fields
  }
}
    `, {"fragmentName":"OnboardFailure"}) as unknown as TypedDocumentString<OnboardFailureFragment, unknown>;
export const OnboardEdgeAccountFragmentDoc = new TypedDocumentString(`
    fragment OnboardEdgeAccount on EdgeUser {
  id
  edgeId
  email
  firstName
  lastName
  isActive
  memberships
  accessTokens(first: 100) @include(if: $withAccessTokens) {
    edges {
      node {
        id
        title
        active
      }
    }
  }
}
    `, {"fragmentName":"OnboardEdgeAccount"}) as unknown as TypedDocumentString<OnboardEdgeAccountFragment, unknown>;
export const OnboardMemberFragmentDoc = new TypedDocumentString(`
    fragment OnboardMember on User {
  id
  gateId
  username
  email
  firstName
  lastName
  role
  organization
  token {
    id
    gateId
    email
    isActive
    accessLevel
    maxSessions
  }
  extra {
    id
    gateId
    organizationId
    preferences
    customFields
  }
  edgeAccount {
    ...OnboardEdgeAccount
  }
}
    fragment OnboardEdgeAccount on EdgeUser {
  id
  edgeId
  email
  firstName
  lastName
  isActive
  memberships
  accessTokens(first: 100) @include(if: $withAccessTokens) {
    edges {
      node {
        id
        title
        active
      }
    }
  }
}`, {"fragmentName":"OnboardMember"}) as unknown as TypedDocumentString<OnboardMemberFragment, unknown>;
export const OnboardMembersDocument = new TypedDocumentString(`
    query OnboardMembers($organization: String!, $first: Int!, $after: String, $withAccessTokens: Boolean!) {
  users(filter: {organization: $organization}, first: $first, after: $after) {
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        ...OnboardMember
      }
    }
  }
}
    fragment OnboardEdgeAccount on EdgeUser {
  id
  edgeId
  email
  firstName
  lastName
  isActive
  memberships
  accessTokens(first: 100) @include(if: $withAccessTokens) {
    edges {
      node {
        id
        title
        active
      }
    }
  }
}
fragment OnboardMember on User {
  id
  gateId
  username
  email
  firstName
  lastName
  role
  organization
  token {
    id
    gateId
    email
    isActive
    accessLevel
    maxSessions
  }
  extra {
    id
    gateId
    organizationId
    preferences
    customFields
  }
  edgeAccount {
    ...OnboardEdgeAccount
  }
}`, {"hash":"sha256:ab2260058a95da491c4fd17e9c11d713948710203e8ac88688f75dd1b41142aa"}) as unknown as TypedDocumentString<OnboardMembersQuery, OnboardMembersQueryVariables>;
export const OnboardHolderDocument = new TypedDocumentString(`
    query OnboardHolder($username: String!) {
  user(username: $username) {
    username
    organization
  }
}
    `, {"hash":"sha256:efd133b60ebdbfe021a727f83a00950af0ac95ae004349d2333d1fe522c3d66c"}) as unknown as TypedDocumentString<OnboardHolderQuery, OnboardHolderQueryVariables>;
export const OnboardProvisionDocument = new TypedDocumentString(`
    mutation OnboardProvision($input: ProvisionUserInput!) {
  provisionUser(input: $input) {
    __typename
    ...OnboardFailure
    ... on ProvisionUserPayload {
      user {
        id
      }
      token {
        id
      }
      extra {
        id
      }
      edgeAccount {
        id
      }
      accessToken {
        plaintext
        accessToken {
          id
        }
      }
    }
  }
}
    fragment OnboardFailure on Error {
  __typename
  message
  ... on ValidationError {
    fieldErrors {
      field
      message
    }
  }
  ... on UpstreamFailure {
    upstream
    status
    retryable
  }
  ... on OutcomeUnknown {
    upstream
  }
  ... on ProvisioningFailed {
    failedStep
    leftovers
  }
  ... on ForbiddenError {
    requiredScope
    fields
  }
}`, {"hash":"sha256:91908fa3bca589b9833d195d5f8fbf7f37eba9d996ad35819f4a8864b22fc6a9"}) as unknown as TypedDocumentString<OnboardProvisionMutation, OnboardProvisionMutationVariables>;
export const OnboardUpdateUserDocument = new TypedDocumentString(`
    mutation OnboardUpdateUser($input: UpdateUserInput!) {
  updateUser(input: $input) {
    __typename
    ...OnboardFailure
    ... on UpdateUserPayload {
      user {
        id
      }
    }
  }
}
    fragment OnboardFailure on Error {
  __typename
  message
  ... on ValidationError {
    fieldErrors {
      field
      message
    }
  }
  ... on UpstreamFailure {
    upstream
    status
    retryable
  }
  ... on OutcomeUnknown {
    upstream
  }
  ... on ProvisioningFailed {
    failedStep
    leftovers
  }
  ... on ForbiddenError {
    requiredScope
    fields
  }
}`, {"hash":"sha256:9d9a828c7153da304b1c92083709e83e48e0b8c9c779836532addb3f9c2d95c8"}) as unknown as TypedDocumentString<OnboardUpdateUserMutation, OnboardUpdateUserMutationVariables>;
export const OnboardCreateTokenDocument = new TypedDocumentString(`
    mutation OnboardCreateToken($input: CreateTokenInput!) {
  createToken(input: $input) {
    __typename
    ...OnboardFailure
    ... on CreateTokenPayload {
      token {
        id
      }
    }
  }
}
    fragment OnboardFailure on Error {
  __typename
  message
  ... on ValidationError {
    fieldErrors {
      field
      message
    }
  }
  ... on UpstreamFailure {
    upstream
    status
    retryable
  }
  ... on OutcomeUnknown {
    upstream
  }
  ... on ProvisioningFailed {
    failedStep
    leftovers
  }
  ... on ForbiddenError {
    requiredScope
    fields
  }
}`, {"hash":"sha256:001b292e4e2395d30b55d1ef510905cbbce1867585e800aec8cc5b78bf493a28"}) as unknown as TypedDocumentString<OnboardCreateTokenMutation, OnboardCreateTokenMutationVariables>;
export const OnboardUpdateTokenDocument = new TypedDocumentString(`
    mutation OnboardUpdateToken($input: UpdateTokenInput!) {
  updateToken(input: $input) {
    __typename
    ...OnboardFailure
    ... on UpdateTokenPayload {
      token {
        id
      }
    }
  }
}
    fragment OnboardFailure on Error {
  __typename
  message
  ... on ValidationError {
    fieldErrors {
      field
      message
    }
  }
  ... on UpstreamFailure {
    upstream
    status
    retryable
  }
  ... on OutcomeUnknown {
    upstream
  }
  ... on ProvisioningFailed {
    failedStep
    leftovers
  }
  ... on ForbiddenError {
    requiredScope
    fields
  }
}`, {"hash":"sha256:69f24bcb6ecf1a93743def0cc9e699c6123a6e74514ebc7e10694107003cd2cd"}) as unknown as TypedDocumentString<OnboardUpdateTokenMutation, OnboardUpdateTokenMutationVariables>;
export const OnboardCreateExtraDocument = new TypedDocumentString(`
    mutation OnboardCreateExtra($input: CreateExtraInput!) {
  createExtra(input: $input) {
    __typename
    ...OnboardFailure
    ... on CreateExtraPayload {
      extra {
        id
      }
    }
  }
}
    fragment OnboardFailure on Error {
  __typename
  message
  ... on ValidationError {
    fieldErrors {
      field
      message
    }
  }
  ... on UpstreamFailure {
    upstream
    status
    retryable
  }
  ... on OutcomeUnknown {
    upstream
  }
  ... on ProvisioningFailed {
    failedStep
    leftovers
  }
  ... on ForbiddenError {
    requiredScope
    fields
  }
}`, {"hash":"sha256:2c5626457a9a786ac286df834da7324c8bd5c8dbfd5ec56c45adbbcb8364fc1b"}) as unknown as TypedDocumentString<OnboardCreateExtraMutation, OnboardCreateExtraMutationVariables>;
export const OnboardReplaceExtraDocument = new TypedDocumentString(`
    mutation OnboardReplaceExtra($input: ReplaceExtraInput!) {
  replaceExtra(input: $input) {
    __typename
    ...OnboardFailure
    ... on ReplaceExtraPayload {
      extra {
        id
      }
    }
  }
}
    fragment OnboardFailure on Error {
  __typename
  message
  ... on ValidationError {
    fieldErrors {
      field
      message
    }
  }
  ... on UpstreamFailure {
    upstream
    status
    retryable
  }
  ... on OutcomeUnknown {
    upstream
  }
  ... on ProvisioningFailed {
    failedStep
    leftovers
  }
  ... on ForbiddenError {
    requiredScope
    fields
  }
}`, {"hash":"sha256:d6771d4327d66e9cd8befc38ab4007693ea177ea2caf3a472f8f68cac749247a"}) as unknown as TypedDocumentString<OnboardReplaceExtraMutation, OnboardReplaceExtraMutationVariables>;
export const OnboardCreateEdgeUserDocument = new TypedDocumentString(`
    mutation OnboardCreateEdgeUser($input: CreateEdgeUserInput!) {
  createEdgeUser(input: $input) {
    __typename
    ...OnboardFailure
    ... on CreateEdgeUserPayload {
      edgeUser {
        id
      }
    }
  }
}
    fragment OnboardFailure on Error {
  __typename
  message
  ... on ValidationError {
    fieldErrors {
      field
      message
    }
  }
  ... on UpstreamFailure {
    upstream
    status
    retryable
  }
  ... on OutcomeUnknown {
    upstream
  }
  ... on ProvisioningFailed {
    failedStep
    leftovers
  }
  ... on ForbiddenError {
    requiredScope
    fields
  }
}`, {"hash":"sha256:d9ced8cb5baaa28d89efbdb053e24d08ffa1cb0a0eaf910176e425645a5eb0d8"}) as unknown as TypedDocumentString<OnboardCreateEdgeUserMutation, OnboardCreateEdgeUserMutationVariables>;
export const OnboardUpdateEdgeUserDocument = new TypedDocumentString(`
    mutation OnboardUpdateEdgeUser($input: UpdateEdgeUserInput!) {
  updateEdgeUser(input: $input) {
    __typename
    ...OnboardFailure
    ... on UpdateEdgeUserPayload {
      edgeUser {
        id
      }
    }
  }
}
    fragment OnboardFailure on Error {
  __typename
  message
  ... on ValidationError {
    fieldErrors {
      field
      message
    }
  }
  ... on UpstreamFailure {
    upstream
    status
    retryable
  }
  ... on OutcomeUnknown {
    upstream
  }
  ... on ProvisioningFailed {
    failedStep
    leftovers
  }
  ... on ForbiddenError {
    requiredScope
    fields
  }
}`, {"hash":"sha256:2785662c94e1ca266cb0d619713a5ef5b3f16204e1be0ed9d8ce389a5e706d8b"}) as unknown as TypedDocumentString<OnboardUpdateEdgeUserMutation, OnboardUpdateEdgeUserMutationVariables>;
export const OnboardCreateAccessTokenDocument = new TypedDocumentString(`
    mutation OnboardCreateAccessToken($input: CreateAccessTokenInput!) {
  createAccessToken(input: $input) {
    __typename
    ...OnboardFailure
    ... on CreatedAccessToken {
      plaintext
      accessToken {
        id
      }
    }
  }
}
    fragment OnboardFailure on Error {
  __typename
  message
  ... on ValidationError {
    fieldErrors {
      field
      message
    }
  }
  ... on UpstreamFailure {
    upstream
    status
    retryable
  }
  ... on OutcomeUnknown {
    upstream
  }
  ... on ProvisioningFailed {
    failedStep
    leftovers
  }
  ... on ForbiddenError {
    requiredScope
    fields
  }
}`, {"hash":"sha256:1e0e97cc316ed9cde2b13ab8be06b4a7c7e8fe203d13a3409fdf93423a451946"}) as unknown as TypedDocumentString<OnboardCreateAccessTokenMutation, OnboardCreateAccessTokenMutationVariables>;
export const OnboardDeprovisionDocument = new TypedDocumentString(`
    mutation OnboardDeprovision($input: DeprovisionUserInput!) {
  deprovisionUser(input: $input) {
    __typename
    ...OnboardFailure
    ... on DeprovisionUserPayload {
      username
      removed
    }
  }
}
    fragment OnboardFailure on Error {
  __typename
  message
  ... on ValidationError {
    fieldErrors {
      field
      message
    }
  }
  ... on UpstreamFailure {
    upstream
    status
    retryable
  }
  ... on OutcomeUnknown {
    upstream
  }
  ... on ProvisioningFailed {
    failedStep
    leftovers
  }
  ... on ForbiddenError {
    requiredScope
    fields
  }
}`, {"hash":"sha256:f332b207e3f2cb2f63162580435e5792a93198444e274df3f177a76abc026672"}) as unknown as TypedDocumentString<OnboardDeprovisionMutation, OnboardDeprovisionMutationVariables>;
export const ReportMembersDocument = new TypedDocumentString(`
    query ReportMembers($organization: String!, $first: Int!, $after: String) {
  organization(name: $organization) {
    name
    memberCount
    members(first: $first, after: $after) {
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          username
          email
          firstName
          lastName
          role
          balance {
            seconds
          }
        }
      }
    }
  }
}
    `, {"hash":"sha256:23d7821f2703f028b87b9b57fc01afa20132d48accbcca8aea5e210e05ad2fb7"}) as unknown as TypedDocumentString<ReportMembersQuery, ReportMembersQueryVariables>;
export const ReportAccessTokensDocument = new TypedDocumentString(`
    query ReportAccessTokens($organization: String!, $first: Int!, $after: String) {
  organization(name: $organization) {
    activeAccessTokens(first: $first, after: $after) {
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          owner {
            username
          }
        }
      }
    }
  }
}
    `, {"hash":"sha256:769260cd24fedeacc394300fbc2ec05c8ad3be6c4234ed4ed1ad9066978e1e21"}) as unknown as TypedDocumentString<ReportAccessTokensQuery, ReportAccessTokensQueryVariables>;
export const ReportOnlineSwitchUsersDocument = new TypedDocumentString(`
    query ReportOnlineSwitchUsers($organization: String!, $first: Int!, $after: String) {
  organization(name: $organization) {
    onlineSwitchUsers(first: $first, after: $after) {
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          name
        }
      }
    }
  }
}
    `, {"hash":"sha256:de8230d9b4a74e6fbd5021e340784f5e7b91552836cb1dc54b4d5cef19c62a99"}) as unknown as TypedDocumentString<ReportOnlineSwitchUsersQuery, ReportOnlineSwitchUsersQueryVariables>;
export const ReportOrganizationsDocument = new TypedDocumentString(`
    query ReportOrganizations {
  organizations {
    name
    memberCount
  }
}
    `, {"hash":"sha256:82693f43ed4dad770687f153af269d9c615cf050a68f5184915d1e336bdcb5dd"}) as unknown as TypedDocumentString<ReportOrganizationsQuery, ReportOrganizationsQueryVariables>;