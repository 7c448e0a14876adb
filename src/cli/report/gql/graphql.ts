/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
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