import { z } from 'zod';
import { UpstreamError, type UpstreamName } from './http.ts';

/** Validates a payload at the boundary; what fails is named by path, never by value. */
export function parsePayload<S extends z.ZodType>(upstream: UpstreamName, schema: S, data: unknown, what: string): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const problems = result.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  throw new UpstreamError(upstream, 'UPSTREAM_BAD_RESPONSE', `${upstream} sent an unexpected ${what} (${problems})`);
}

// Field schemas carry no transforms: zod runs them per field, which costs ten times the check
// itself. Each record's one object-level transform renames and normalises instead.
const isoTimestamp = /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:[zZ]|[+-]\d\d:?\d\d)?$/;
const timestamp = z.string().regex(isoTimestamp, 'not an ISO-8601 timestamp');
export const optionalTimestamp = timestamp.nullish();
export const optionalString = z.string().nullish();
export const optionalNumber = z.number().nullish();
export const optionalBoolean = z.boolean().nullish();
export const jsonObject = z.record(z.string(), z.unknown());

const explicitZone = /(?:[zZ]|[+-]\d\d:?\d\d)$/;

/** A checked timestamp made explicit UTC: edge sends naive timestamps that mean UTC. */
export function utc(value: string): string;
export function utc(value: string | null | undefined): string | null;
export function utc(value: string | null | undefined): string | null {
  if (value == null) return null;
  const dated = value[10] === ' ' ? `${value.slice(0, 10)}T${value.slice(11)}` : value;
  return explicitZone.test(dated) ? dated : `${dated}Z`;
}
