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

const explicitZone = /(?:[zZ]|[+-]\d\d:?\d\d)$/;

/**
 * A timestamp in any upstream's format, made explicit UTC: edge sends naive timestamps that mean
 * UTC; the others carry a zone.
 */
export const utcTimestamp = z.string().transform((value, ctx) => {
  const zoned = explicitZone.test(value) ? value : `${value}Z`;
  if (Number.isNaN(Date.parse(zoned))) {
    ctx.addIssue({ code: 'custom', message: 'not a timestamp' });
    return z.NEVER;
  }
  return zoned;
});

export const optionalTimestamp = utcTimestamp.nullish().transform((value) => value ?? null);
export const optionalString = z.string().nullish().transform((value) => value ?? null);
export const optionalNumber = z.number().nullish().transform((value) => value ?? null);
export const optionalBoolean = z.boolean().nullish().transform((value) => value ?? null);
export const jsonObject = z.record(z.string(), z.unknown());
