import { createClient } from './client.ts';
import { byId } from './dom.ts';
import { peopleList } from './people.ts';
import { personView } from './person.ts';
import { provisionForm } from './provision.ts';

let apiKey = '';

const client = createClient({
  url: import.meta.env.VITE_GATEWAY_URL ?? 'http://127.0.0.1:4000/graphql',
  headers: () => ({ 'x-api-key': apiKey }),
});

const showPerson = personView(client);
const people = peopleList(client, showPerson);
provisionForm(client, showPerson);

const credentials = byId('credentials', HTMLFormElement);
credentials.addEventListener('submit', (event) => {
  event.preventDefault();
  apiKey = String(new FormData(credentials).get('apiKey') ?? '');
  void people.showFirstPage();
});
