import { z } from 'zod';
import {
  countInput,
  emailInput,
  idempotencyKeyInput,
  jsonObjectInput,
  nameInput,
  newUsernameInput,
  optional,
  passwordInput,
  requiredNameInput,
  secondsInput,
} from './inputs.ts';

/**
 * The rules `provisionUser` checks its input by, before any upstream is asked. A module of zod
 * alone, apart from the GraphQL types, so that a client can check rows by the same rules
 * (`npm run onboard` validates a whole file with them before it sends one).
 */
export const newPerson = z
  .object({
    idempotencyKey: idempotencyKeyInput,
    username: newUsernameInput,
    email: emailInput,
    password: passwordInput,
    organization: requiredNameInput,
    newOrganization: optional(z.boolean()),
    firstName: optional(nameInput),
    lastName: optional(nameInput),
    role: optional(nameInput),
    isActive: optional(z.boolean()),
    initialBalanceSeconds: optional(secondsInput),
    accessLevel: optional(nameInput),
    maxSessions: optional(countInput),
    preferences: optional(jsonObjectInput),
    customFields: optional(jsonObjectInput),
    edge: optional(
      z.object({
        memberships: optional(z.array(requiredNameInput).max(100, 'may hold at most 100 memberships')),
        accessTokenTitle: optional(z.string().min(1, 'must not be empty').max(100, 'must be at most 100 characters')),
      }),
    ),
  })
  .superRefine((person, ctx) => {
    if (!person.edge) return;
    for (const field of ['firstName', 'lastName'] as const) {
      if (!person[field]) ctx.addIssue({ code: 'custom', path: [field], message: 'is required by edge (with `edge`)' });
    }
  });
