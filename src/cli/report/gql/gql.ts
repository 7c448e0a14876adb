/* eslint-disable */
import * as types from './graphql.ts';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query ReportMembers($organization: String!, $first: Int!, $after: String) {\n  organization(name: $organization) {\n    name\n    memberCount\n    members(first: $first, after: $after) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          username\n          email\n          firstName\n          lastName\n          role\n          balance {\n            seconds\n          }\n        }\n      }\n    }\n  }\n}\n\nquery ReportAccessTokens($organization: String!, $first: Int!, $after: String) {\n  organization(name: $organization) {\n    activeAccessTokens(first: $first, after: $after) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          owner {\n            username\n          }\n        }\n      }\n    }\n  }\n}\n\nquery ReportOnlineSwitchUsers($organization: String!, $first: Int!, $after: String) {\n  organization(name: $organization) {\n    onlineSwitchUsers(first: $first, after: $after) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          name\n        }\n      }\n    }\n  }\n}\n\nquery ReportOrganizations {\n  organizations {\n    name\n    memberCount\n  }\n}": typeof types.ReportMembersDocument,
};
const documents: Documents = {
    "query ReportMembers($organization: String!, $first: Int!, $after: String) {\n  organization(name: $organization) {\n    name\n    memberCount\n    members(first: $first, after: $after) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          username\n          email\n          firstName\n          lastName\n          role\n          balance {\n            seconds\n          }\n        }\n      }\n    }\n  }\n}\n\nquery ReportAccessTokens($organization: String!, $first: Int!, $after: String) {\n  organization(name: $organization) {\n    activeAccessTokens(first: $first, after: $after) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          owner {\n            username\n          }\n        }\n      }\n    }\n  }\n}\n\nquery ReportOnlineSwitchUsers($organization: String!, $first: Int!, $after: String) {\n  organization(name: $organization) {\n    onlineSwitchUsers(first: $first, after: $after) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          name\n        }\n      }\n    }\n  }\n}\n\nquery ReportOrganizations {\n  organizations {\n    name\n    memberCount\n  }\n}": types.ReportMembersDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ReportMembers($organization: String!, $first: Int!, $after: String) {\n  organization(name: $organization) {\n    name\n    memberCount\n    members(first: $first, after: $after) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          username\n          email\n          firstName\n          lastName\n          role\n          balance {\n            seconds\n          }\n        }\n      }\n    }\n  }\n}\n\nquery ReportAccessTokens($organization: String!, $first: Int!, $after: String) {\n  organization(name: $organization) {\n    activeAccessTokens(first: $first, after: $after) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          owner {\n            username\n          }\n        }\n      }\n    }\n  }\n}\n\nquery ReportOnlineSwitchUsers($organization: String!, $first: Int!, $after: String) {\n  organization(name: $organization) {\n    onlineSwitchUsers(first: $first, after: $after) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          name\n        }\n      }\n    }\n  }\n}\n\nquery ReportOrganizations {\n  organizations {\n    name\n    memberCount\n  }\n}"): typeof import('./graphql.ts').ReportMembersDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
