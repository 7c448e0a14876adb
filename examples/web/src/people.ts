import type { Client } from './client.ts';
import { byId, element, failure, pending } from './dom.ts';
import { describeError } from './errors.ts';
import { PeopleDocument, type PeopleQuery, type PeopleQueryVariables } from './gql/graphql.ts';

const PAGE_SIZE = 10;

type PageInfo = NonNullable<PeopleQuery['users']>['pageInfo'];

/**
 * The list of people, a page at a time. Relay cursors: the next page is the `first` after this
 * page's `endCursor`, the previous one the `last` before its `startCursor`. Cursors are opaque:
 * keep them as the gateway wrote them.
 */
export function peopleList(client: Client, onPick: (id: string) => void) {
  const status = byId('people-status', HTMLParagraphElement);
  const list = byId('people-list', HTMLUListElement);
  const previous = byId('previous-page', HTMLButtonElement);
  const next = byId('next-page', HTMLButtonElement);
  let pageInfo: PageInfo | undefined;

  async function show(variables: PeopleQueryVariables) {
    previous.disabled = next.disabled = true;
    status.replaceChildren(pending('Loading…'));
    try {
      const { data } = await client.request(PeopleDocument, variables);
      const users = data?.users;
      if (!users) throw new Error('the list could not be read');
      pageInfo = users.pageInfo;
      status.textContent = `${users.totalCount ?? 'An unknown number of'} people`;
      list.replaceChildren(...users.edges.map(({ node }) => personItem(node)));
      previous.disabled = !pageInfo.hasPreviousPage;
      next.disabled = !pageInfo.hasNextPage;
    } catch (error) {
      status.replaceChildren(failure(describeError(error)));
    }
  }

  function personItem(person: NonNullable<PeopleQuery['users']>['edges'][number]['node']): HTMLLIElement {
    const pick = element('button', person.username);
    pick.type = 'button';
    pick.addEventListener('click', () => onPick(person.id));
    const name = [person.firstName, person.lastName].filter(Boolean).join(' ');
    return element('li', pick, ` ${name} (${person.organization ?? 'no organization'})`);
  }

  previous.addEventListener('click', () => void show({ last: PAGE_SIZE, before: pageInfo?.startCursor ?? null }));
  next.addEventListener('click', () => void show({ first: PAGE_SIZE, after: pageInfo?.endCursor ?? null }));
  return { showFirstPage: () => show({ first: PAGE_SIZE }) };
}
