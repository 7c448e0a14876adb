import { z } from 'zod';

/** The longest name, username or search string taken: gate and edge hold usernames of up to 150. */
const MAX_NAME_LENGTH = 150;

// Checked before any upstream call, so that no input is sent that no upstream could hold.
const noControlCharacters = /^[^\u0000-\u001f\u007f]*$/;

/** A name, username, organization or search string. */
export const nameInput = z
  .string()
  .max(MAX_NAME_LENGTH, `must be at most ${MAX_NAME_LENGTH} characters`)
  .regex(noControlCharacters, 'must not hold control characters');

/** A username to look up: a name that is not empty. */
export const usernameInput = nameInput.min(1, 'must not be empty');

// ---- mutation inputs: checked in the resolver, where a refusal becomes a ValidationError ----

/** An optional input field: GraphQL's `null` reads as not given. */
export function optional<S extends z.ZodType>(schema: S) {
  return schema.nullish().transform((value) => value ?? undefined);
}

/** The username of a new record: what gate (Django) takes, letters, digits and `@ . + - _`. */
export const newUsernameInput = usernameInput.regex(/^[\w.@+-]+$/, 'may hold only letters, digits and @ . + - _');

export const emailInput = z.email('must be an email address').max(254, 'must be at most 254 characters');

export const passwordInput = z.string().min(8, 'must be at least 8 characters').max(128, 'must be at most 128 characters');

/** A name that is given must say something. */
export const requiredNameInput = nameInput.min(1, 'must not be empty');

export const secondsInput = z.number().int().min(0, 'must not be negative');

export const countInput = z.number().int().min(0, 'must not be negative');

export const jsonObjectInput = z.record(z.string(), z.unknown(), 'must be a JSON object');

export const idempotencyKeyInput = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(/^[\w.:-]+$/, 'may hold only letters, digits and . : - _');

/** Exactly one of these fields names the record. */
export function namedByOne<T extends Record<string, unknown>>(object: z.ZodType<T>, ...fields: (keyof T & string)[]) {
  return object.superRefine((value, ctx) => {
    const given = fields.filter((field) => value[field] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({ code: 'custom', path: [fields[0] as string], message: `give exactly one of ${fields.join(', ')}` });
    }
  });
}

/** Changes that change something. */
export function notEmpty<T extends Record<string, unknown>>(object: z.ZodType<T>) {
  return object.refine((value) => Object.values(value).some((field) => field !== undefined), 'must change at least one field');
}
