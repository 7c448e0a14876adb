/** The query GraphiQL opens with: a few people with what each upstream knows about them. */
export const EXAMPLE_QUERY = /* GraphQL */ `# acme's people across gate, edge and switch.
# Run it; add after: "<endCursor>" for more.
query PeopleOverview {
  users(first: 5, filter: { organization: "acme" }) {
    totalCount
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
        createdAt
        token {
          isActive
          accessLevel
          maxSessions
        }
        balance {
          seconds
          humanReadable
        }
        extra {
          preferences
          devices {
            deviceType
            model
          }
        }
        edgeAccount {
          isActive
          memberships
        }
        accessTokens(first: 3) {
          totalCount
          edges {
            node {
              title
              active
              expiresAt
            }
          }
        }
        loginHistory(first: 3) {
          totalCount
          edges {
            node {
              success
              attemptedAt
              remoteAddress
            }
          }
        }
        switchAccount {
          userId
          roleName
          carrierName
          isOnline
        }
      }
    }
  }
}
`;
