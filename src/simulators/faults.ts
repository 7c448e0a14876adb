// Fault rules: what a test (or a curl user) can ask a simulator to do to the next matching request(s).
// This module only defines and validates rules; http.ts matches and applies them.
import { z } from 'zod';
import type { JsonValue } from './dataset.ts';
import type { FieldErrors, HttpMethod } from './http.ts';

export interface FaultMatch {
  /** absent matches every method */
  method?: HttpMethod;
  /**
   * Below the API prefix, e.g. "/user/10001/" or "/users/:id/tokens/" (":name" matches one segment);
   * a trailing slash is optional, as for routes, and the query string is ignored. Absent matches every path.
   */
  path?: string;
  /** matching requests it fires on before it is used up; default 1; "always" (or Infinity) never runs out */
  times?: number | 'always';
  /**
   * The probability (above 0, at most 1; default 1) that the rule fires on a matching request. When it
   * does not, the request goes on to the next rule (or through) and `times` is not used up: with
   * `times: "always", chance: 0.1` about one matching request in ten fails.
   */
  chance?: number;
}

/**
 * status: answers this without running the handler, so a write does not happen.
 * delay: answers normally, `ms` later than usual.
 * hold: waits, unhandled, until released (`POST /__simulator/release`, or `releaseHeld()` in process),
 *   then runs the handler (a write lands then) and answers, if the client is still there: a write
 *   still travelling when the client gave up, that lands later. Tests release it when they choose.
 * reset-before: destroys the connection before the handler runs (no write).
 * reset-after: runs the handler (the write lands), then destroys the connection unanswered.
 * hang: never answers; the socket stays open until the client gives up or the server closes.
 * malformed / truncated: runs the handler, then answers 200 with a non-JSON body / its JSON body cut in half.
 * refuse: answers `status` (default 500) with the upstream's own error body, without running the handler:
 *   `{"detail": message}` on gate and edge, the `{"success": false, "error_type", "error": {message, code,
 *   reason}}` envelope on switch, whose `code` is `status`, or 500 when `status` is below 400 (so that
 *   `{"action": "refuse", "status": 200}` is switch's 200 answer with `success: false`).
 * fail-after: runs the handler (the write lands), then answers as `refuse` does: a write that landed,
 *   reported as failed (a server error after the commit).
 */
export type FaultAction =
  | { action: 'status'; status: number; body?: JsonValue; headers?: Record<string, string> }
  | { action: 'refuse' | 'fail-after'; status?: number; message?: string }
  | { action: 'delay'; ms: number }
  | { action: 'reset-before' | 'reset-after' | 'hang' | 'hold' | 'malformed' | 'truncated' };

export type FaultRule = FaultMatch & FaultAction;

// RFC 9110 token characters, and the header value bytes node:http accepts: anything else would throw in writeHead.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

const matchFields = {
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] satisfies HttpMethod[]).optional(),
  path: z.string().startsWith('/', 'Must start with "/".').optional(),
  times: z.union([z.literal('always'), z.literal(Infinity), z.number().int().min(1)], {
    error: 'Must be a positive integer or "always".',
  }).optional(),
  chance: z.number({ error: 'Must be a number above 0 and at most 1.' })
    .gt(0, 'Must be a number above 0 and at most 1.')
    .max(1, 'Must be a number above 0 and at most 1.')
    .optional(),
};

const faultRuleSchema: z.ZodType<FaultRule> = z.discriminatedUnion('action', [
  z.strictObject({
    ...matchFields,
    action: z.literal('status'),
    status: z.number().int().min(200).max(599),
    body: z.json().optional(),
    headers: z.record(
      z.string().regex(HEADER_NAME, 'Not a valid header name.'),
      z.string().regex(HEADER_VALUE, 'Not a valid header value.'),
    ).optional(),
  }),
  z.strictObject({
    ...matchFields,
    action: z.enum(['refuse', 'fail-after']),
    status: z.number().int().min(200).max(599).optional(),
    message: z.string().max(1000).optional(),
  }),
  z.strictObject({ ...matchFields, action: z.literal('delay'), ms: z.number().min(0).max(600_000) }),
  z.strictObject({ ...matchFields, action: z.enum(['reset-before', 'reset-after', 'hang', 'hold', 'malformed', 'truncated']) }),
]);

/** DRF-style, as gate and edge answer: dotted field path -> messages; an unknown field is named too. */
function toFieldErrors(error: z.ZodError): FieldErrors {
  const errors: FieldErrors = {};
  const add = (path: PropertyKey[], message: string) => {
    (errors[path.map(String).join('.') || 'non_field_errors'] ??= []).push(message);
  };
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') for (const key of issue.keys) add([...issue.path, key], 'Unknown field.');
    else add(issue.path, issue.message);
  }
  return errors;
}

/** Rules are checked at run time too: types cannot rule out `times: 0`, `status: 42` or JSON from curl. */
export function checkFaultRule(input: unknown): { ok: true; rule: FaultRule } | { ok: false; errors: FieldErrors } {
  const parsed = faultRuleSchema.safeParse(input);
  return parsed.success ? { ok: true, rule: parsed.data } : { ok: false, errors: toFieldErrors(parsed.error) };
}
