/** How the API must render an upstream timestamp: ISO-8601 in UTC, milliseconds precision. */
export function isoUtc(timestamp: string | null | undefined): string | null {
  if (timestamp == null) return null;
  const zoned = /(?:Z|[+-]\d\d:\d\d)$/.test(timestamp) ? timestamp : `${timestamp}Z`;
  return new Date(zoned).toISOString();
}

/** A value the upstream may omit: the API answers null. */
export function orNull<T>(value: T | undefined): T | null {
  return value === undefined ? null : value;
}

/** A nullable field the test expects answered: fails the test on null, and types it as present. */
export function present<T>(value: T | null | undefined): T {
  if (value == null) throw new Error(`expected a value, got ${String(value)}`);
  return value;
}
