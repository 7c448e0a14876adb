import type { Client } from './client.ts';
import { byId, element, failure } from './dom.ts';
import { describeError } from './errors.ts';
import { ProvisionPersonDocument, type ProvisionPersonMutation, type ProvisionUserInput } from './gql/graphql.ts';

type Outcome = ProvisionPersonMutation['provisionUser'];

interface Verdict {
  text: string;
  /** Whether the write may yet land: send the same input again, with the same idempotency key. */
  sendAgain: boolean;
}

/**
 * What each member of the result union means. Every member is a case: when the gateway adds one,
 * `npm run codegen` adds it to `Outcome` and this switch stops compiling until it is handled.
 */
function verdict(outcome: Outcome): Verdict {
  switch (outcome.__typename) {
    case 'ProvisionUserPayload':
      return { text: `Provisioned ${outcome.user.username}.`, sendAgain: false };
    case 'ValidationError':
      return { text: `Not provisioned: ${outcome.fieldErrors.map((error) => `${error.field} ${error.message}`).join('; ') || outcome.message}`, sendAgain: false };
    case 'ConflictError':
      return { text: `Not provisioned: ${outcome.message}`, sendAgain: false };
    case 'ProvisioningFailed':
      // Sent again with the same key, the gateway first removes what the failed attempt left behind.
      return outcome.leftovers.length
        ? { text: `Not provisioned: ${outcome.message} Left behind: ${outcome.leftovers.join(', ')}. Send it again to clear them.`, sendAgain: true }
        : { text: `Not provisioned, nothing left behind: ${outcome.message}`, sendAgain: false };
    case 'ForbiddenError':
      return { text: `Not provisioned: ${outcome.message} (it needs the ${outcome.requiredScope} scope)`, sendAgain: false };
    case 'IdempotencyKeyReused':
      return { text: `Not provisioned: ${outcome.message}`, sendAgain: false };
    case 'UpstreamFailure':
      return { text: `Not provisioned (${outcome.upstream} failed): ${outcome.message}${outcome.retryable ? ' Try again.' : ''}`, sendAgain: outcome.retryable };
    case 'DeadlineTooShort':
      return { text: `Not started: ${outcome.message} Try again.`, sendAgain: true };
    case 'OutcomeUnknown':
      return { text: `It is not known whether ${outcome.upstream} took it: ${outcome.message} Send it again to find out.`, sendAgain: true };
    case 'IdempotencyKeyBusy':
      return { text: `The same request is still under way: ${outcome.message} Send it again to get its answer.`, sendAgain: true };
    default:
      return unhandled(outcome);
  }
}

function unhandled(outcome: never): never {
  throw new Error(`unhandled provisionUser result ${(outcome as { __typename?: string }).__typename}`);
}

/**
 * The provisioning form. One idempotency key per person to create: sending the same input again
 * after an answer that leaves the outcome open (or no answer at all) reuses it, so the gateway
 * answers the first attempt's result instead of writing twice.
 */
export function provisionForm(client: Client, onProvisioned: (id: string) => void) {
  const form = byId('provision', HTMLFormElement);
  const result = byId('provision-result', HTMLDivElement);
  let open: { input: string; idempotencyKey: string } | undefined;

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const input = personInput(new FormData(form));
    const sameInput = JSON.stringify(input);
    const idempotencyKey = open?.input === sameInput ? open.idempotencyKey : crypto.randomUUID();
    open = { input: sameInput, idempotencyKey };
    for (const field of form.querySelectorAll('input')) field.removeAttribute('aria-invalid');
    try {
      const { data, errors } = await client.request(ProvisionPersonDocument, { input: { ...input, idempotencyKey } });
      if (!data) {
        result.replaceChildren(failure(`Not answered: ${errors.map((error) => error.extensions?.code ?? error.message).join(', ')}. Send it again.`));
        return;
      }
      const outcome = data.provisionUser;
      const { text, sendAgain } = verdict(outcome);
      if (!sendAgain) open = undefined;
      if (outcome.__typename === 'ValidationError') {
        for (const { field } of outcome.fieldErrors) form.querySelector(`[name="${CSS.escape(field)}"]`)?.setAttribute('aria-invalid', 'true');
      }
      const line = outcome.__typename === 'ProvisionUserPayload' ? element('p', text) : failure(text);
      line.dataset['outcome'] = outcome.__typename;
      result.replaceChildren(line);
      if (outcome.__typename === 'ProvisionUserPayload') onProvisioned(outcome.user.id);
    } catch (error) {
      result.replaceChildren(failure(`${describeError(error)} Send it again.`));
    }
  });
}

/** The form's fields as the mutation's input; the person is created on edge too. */
function personInput(fields: FormData): Omit<ProvisionUserInput, 'idempotencyKey'> {
  const text = (name: string) => String(fields.get(name) ?? '');
  return {
    username: text('username'),
    email: text('email'),
    password: text('password'),
    organization: text('organization'),
    firstName: text('firstName'),
    lastName: text('lastName'),
    edge: {},
  };
}
