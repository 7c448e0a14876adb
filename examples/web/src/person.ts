import type { Client, GraphQLError, Result } from './client.ts';
import { byId, element, failure, pending } from './dom.ts';
import { describeError, fieldFailure, isAbort } from './errors.ts';
import { PersonDocument, type PersonQuery } from './gql/graphql.ts';

type Person = Extract<NonNullable<PersonQuery['node']>, { __typename: 'User' }>;

/**
 * The client preset types a deferred fragment's fields as if they were there: until its part
 * arrives they are not, and the page says so.
 */
type PersonSoFar = Omit<Person, 'loginHistory'> & Partial<Pick<Person, 'loginHistory'>>;

/** One person, shown as the parts of the answer arrive: everything, then the login history. */
export function personView(client: Client) {
  const details = byId('person-details', HTMLDivElement);
  let shown: AbortController | undefined;

  return async function show(id: string) {
    shown?.abort();
    const current = (shown = new AbortController());
    details.replaceChildren(pending('Loading…'));
    try {
      for await (const result of client.execute(PersonDocument, { id }, current.signal)) details.replaceChildren(...render(result));
    } catch (error) {
      if (!isAbort(error)) details.replaceChildren(failure(describeError(error)));
    }
  };
}

function render({ data, errors }: Result<PersonQuery>): Node[] {
  const node = data?.node;
  if (node?.__typename !== 'User') return [failure(fieldFailure(errors, 'node') ? 'This person could not be read.' : 'No such person.')];
  const person: PersonSoFar = node;
  const { token, balance, edgeAccount } = person;
  return [
    element(
      'dl',
      ...entry('Username', person.username),
      ...entry('Name', [person.firstName, person.lastName].filter(Boolean).join(' ')),
      ...entry('Email', person.email ?? ''),
      ...entry('Organization', person.organization ?? ''),
      ...entry('Token', token ? `${token.accessLevel ?? 'no access level'}, ${token.isActive ? 'active' : 'inactive'}, at most ${token.maxSessions ?? '?'} sessions` : absent(errors, 'token')),
      ...entry('Balance', balance ? (balance.humanReadable ?? `${balance.seconds ?? '?'} s`) : absent(errors, 'balance')),
      ...entry('Edge account', edgeAccount ? `#${edgeAccount.edgeId}, ${edgeAccount.isActive ? 'active' : 'inactive'}, ${edgeAccount.memberships?.join(' ') || 'no memberships'}` : absent(errors, 'edgeAccount')),
    ),
    element('h3', 'Login history'),
    loginHistory(person, errors),
  ];
}

function entry(term: string, description: string): [HTMLElement, HTMLElement] {
  return [element('dt', term), element('dd', description)];
}

/** A null field: there is none, or its upstream failed while the rest of the answer stands. */
function absent(errors: readonly GraphQLError[], field: string): string {
  const code = fieldFailure(errors, 'node', field);
  return code ? `unavailable (${code})` : 'none';
}

function loginHistory(person: PersonSoFar, errors: readonly GraphQLError[]): HTMLElement {
  if (!('loginHistory' in person)) return pending('Loading the login history…');
  const history = person.loginHistory;
  if (!history) return failure(`The login history is ${absent(errors, 'loginHistory')}.`);
  if (history.edges.length === 0) return element('p', 'No logins.');
  const attempts = history.edges.map(({ node }) => element('li', `${node.attemptedAt ?? 'at an unknown time'}: ${node.success ? 'logged in' : 'failed'} from ${node.remoteAddress ?? 'an unknown address'}`));
  const list = element('ul', ...attempts);
  list.id = 'login-history';
  return element('div', element('p', `The latest ${attempts.length} of ${history.totalCount ?? '?'}:`), list);
}
