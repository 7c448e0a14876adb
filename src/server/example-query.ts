/** The query GraphiQL opens with: one person across all three upstreams. */
export const EXAMPLE_QUERY = /* GraphQL */ `# A few people with everything the three upstreams know about them.
query PeopleOverview {
  users(first: 5, filter: { organization: "acme" }) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        username
        email
        firstName
        lastName
        role
        createdAt
        token { isActive accessLevel maxSessions }
        balance { seconds humanReadable }
        extra { preferences devices { deviceType model } }
        edgeAccount { isActive memberships }
        accessTokens(first: 3) { totalCount edges { node { title active expiresAt } } }
        loginHistory(first: 3) { totalCount edges { node { success attemptedAt remoteAddress } } }
        switchAccount { userId roleName carrierName isOnline }
      }
    }
  }
}
`;
