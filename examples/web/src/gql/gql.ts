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
    "query People($first: Int, $after: String, $last: Int, $before: String) {\n  users(first: $first, after: $after, last: $last, before: $before) {\n    totalCount\n    pageInfo {\n      hasPreviousPage\n      hasNextPage\n      startCursor\n      endCursor\n    }\n    edges {\n      node {\n        id\n        username\n        firstName\n        lastName\n        organization\n      }\n    }\n  }\n}\n\nquery Person($id: ID!) {\n  node(id: $id) {\n    __typename\n    ... on User {\n      id\n      username\n      firstName\n      lastName\n      email\n      organization\n      token {\n        accessLevel\n        isActive\n        maxSessions\n      }\n      balance {\n        seconds\n        humanReadable\n        lastActivity\n      }\n      edgeAccount {\n        edgeId\n        isActive\n        memberships\n        dateJoined\n      }\n      ... @defer {\n        loginHistory(first: 5) {\n          totalCount\n          edges {\n            node {\n              id\n              attemptedAt\n              success\n              remoteAddress\n            }\n          }\n        }\n      }\n    }\n  }\n}\n\nmutation ProvisionPerson($input: ProvisionUserInput!) {\n  provisionUser(input: $input) {\n    __typename\n    ... on Error {\n      message\n    }\n    ... on ProvisionUserPayload {\n      user {\n        id\n        username\n      }\n    }\n    ... on ValidationError {\n      fieldErrors {\n        field\n        message\n      }\n    }\n    ... on UpstreamFailure {\n      upstream\n      retryable\n    }\n    ... on OutcomeUnknown {\n      upstream\n    }\n    ... on ProvisioningFailed {\n      failedStep\n      leftovers\n    }\n    ... on DeadlineTooShort {\n      neededMs\n    }\n  }\n}": typeof types.PeopleDocument,
};
const documents: Documents = {
    "query People($first: Int, $after: String, $last: Int, $before: String) {\n  users(first: $first, after: $after, last: $last, before: $before) {\n    totalCount\n    pageInfo {\n      hasPreviousPage\n      hasNextPage\n      startCursor\n      endCursor\n    }\n    edges {\n      node {\n        id\n        username\n        firstName\n        lastName\n        organization\n      }\n    }\n  }\n}\n\nquery Person($id: ID!) {\n  node(id: $id) {\n    __typename\n    ... on User {\n      id\n      username\n      firstName\n      lastName\n      email\n      organization\n      token {\n        accessLevel\n        isActive\n        maxSessions\n      }\n      balance {\n        seconds\n        humanReadable\n        lastActivity\n      }\n      edgeAccount {\n        edgeId\n        isActive\n        memberships\n        dateJoined\n      }\n      ... @defer {\n        loginHistory(first: 5) {\n          totalCount\n          edges {\n            node {\n              id\n              attemptedAt\n              success\n              remoteAddress\n            }\n          }\n        }\n      }\n    }\n  }\n}\n\nmutation ProvisionPerson($input: ProvisionUserInput!) {\n  provisionUser(input: $input) {\n    __typename\n    ... on Error {\n      message\n    }\n    ... on ProvisionUserPayload {\n      user {\n        id\n        username\n      }\n    }\n    ... on ValidationError {\n      fieldErrors {\n        field\n        message\n      }\n    }\n    ... on UpstreamFailure {\n      upstream\n      retryable\n    }\n    ... on OutcomeUnknown {\n      upstream\n    }\n    ... on ProvisioningFailed {\n      failedStep\n      leftovers\n    }\n    ... on DeadlineTooShort {\n      neededMs\n    }\n  }\n}": types.PeopleDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query People($first: Int, $after: String, $last: Int, $before: String) {\n  users(first: $first, after: $after, last: $last, before: $before) {\n    totalCount\n    pageInfo {\n      hasPreviousPage\n      hasNextPage\n      startCursor\n      endCursor\n    }\n    edges {\n      node {\n        id\n        username\n        firstName\n        lastName\n        organization\n      }\n    }\n  }\n}\n\nquery Person($id: ID!) {\n  node(id: $id) {\n    __typename\n    ... on User {\n      id\n      username\n      firstName\n      lastName\n      email\n      organization\n      token {\n        accessLevel\n        isActive\n        maxSessions\n      }\n      balance {\n        seconds\n        humanReadable\n        lastActivity\n      }\n      edgeAccount {\n        edgeId\n        isActive\n        memberships\n        dateJoined\n      }\n      ... @defer {\n        loginHistory(first: 5) {\n          totalCount\n          edges {\n            node {\n              id\n              attemptedAt\n              success\n              remoteAddress\n            }\n          }\n        }\n      }\n    }\n  }\n}\n\nmutation ProvisionPerson($input: ProvisionUserInput!) {\n  provisionUser(input: $input) {\n    __typename\n    ... on Error {\n      message\n    }\n    ... on ProvisionUserPayload {\n      user {\n        id\n        username\n      }\n    }\n    ... on ValidationError {\n      fieldErrors {\n        field\n        message\n      }\n    }\n    ... on UpstreamFailure {\n      upstream\n      retryable\n    }\n    ... on OutcomeUnknown {\n      upstream\n    }\n    ... on ProvisioningFailed {\n      failedStep\n      leftovers\n    }\n    ... on DeadlineTooShort {\n      neededMs\n    }\n  }\n}"): typeof import('./graphql.ts').PeopleDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
