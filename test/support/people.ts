/** A whole person to provision (`ProvisionUserInput`), edge account and first access token included. */
export function person(username: string, idempotencyKey = `key-${username}`) {
  return {
    idempotencyKey,
    username,
    email: `${username}@acme.com`,
    password: `pw-of-${username}-1234`,
    organization: 'acme',
    firstName: 'Ada',
    lastName: 'Lovelace',
    role: 'user',
    isActive: true,
    initialBalanceSeconds: 7200,
    accessLevel: 'premium',
    maxSessions: 2,
    preferences: { theme: 'dark' },
    customFields: { department: 'ops' },
    edge: { memberships: ['WHITE', 'GREEN'], accessTokenTitle: 'Dashboard' },
  };
}
