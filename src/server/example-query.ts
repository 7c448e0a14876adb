/** The query GraphiQL opens with: a few people with what each upstream knows about them. */
export const EXAMPLE_QUERY = /* GraphQL */ `# People of one organization, joined across gate, edge and switch.
# Press the run button; then try \`after: "<endCursor>"\` for the next page.
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
