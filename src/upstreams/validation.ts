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
export const optionalString = z.string().nullish();
export const optionalBoolean = z.boolean().nullish();
export const jsonObject = z.record(z.string(), z.unknown());
/** A value whose type is checked by a `FieldReader`, so that a bad one fails its field only. */
export const checkedLater = z.unknown().optional();

/**
 * A value checked at the boundary: servable as its field's type, or the error that field answers
 * (graphql-js throws an Error a resolver returns, on that field alone; the record stands).
 */
export type Checked<T> = T | UpstreamError;

/** Throws the error a checked value holds; for resolvers that compute with the value. */
export function served<T>(value: Checked<T>): T {
  if (value instanceof UpstreamError) throw value;
  return value;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

// ISO 8601 / RFC 3339 as upstreams write it: `T`, `t` or a space; seconds and fraction optional;
// `Z`, `±hh:mm`, `±hhmm`, `±hh` or no zone (UTC, as edge's naive timestamps mean).
const timestampPattern =
  /^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d+))?)? ?(?:([zZ])|([+-])(\d\d)(?::?(\d\d))?)?$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
}

/** The instant a timestamp names, or undefined when it names none (`2024-02-30`, `25:00`, no time). */
export function parseTimestamp(text: string): Date | undefined {
  const match = timestampPattern.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second = 0] = match.slice(1, 7).map((part) => (part === undefined ? undefined : Number(part)));
  const fraction = match[7] ?? '';
  const offsetSign = match[9] === '-' ? -1 : 1;
  const [offsetHours, offsetMinutes] = [Number(match[10] ?? 0), Number(match[11] ?? 0)];
  if (year === undefined || month === undefined || day === undefined || hour === undefined || minute === undefined) return undefined;
  const valid =
    month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) && hour <= 23 && minute <= 59 && second <= 59 && offsetHours <= 23 && offsetMinutes <= 59;
  if (!valid) return undefined;
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not read years below 100 as 19xx.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, Math.floor(Number(`0.${fraction || '0'}`) * 1000));
  const instant = new Date(date.getTime() - offsetSign * (offsetHours * 60 + offsetMinutes) * 60_000);
  const instantYear = instant.getUTCFullYear();
  return instantYear >= 0 && instantYear <= 9999 ? instant : undefined;
}

/**
 * Checks and normalises the fields of one upstream's records: what is unambiguous becomes its
 * field's type; anything else becomes the error of that field alone, named by field, never by value.
 */
export class FieldReader {
  constructor(
    readonly upstream: UpstreamName,
    readonly what: string,
  ) {}

  #fault(field: string, problem: string): UpstreamError {
    return new UpstreamError(this.upstream, 'UPSTREAM_BAD_RESPONSE', `${this.upstream} sent a ${this.what} whose ${field} ${problem}`);
  }

  /** Any ISO-8601 date-time with a time of day; no zone means UTC. */
  timestamp(value: unknown, field: string): Checked<Date> | null {
    if (value == null) return null;
    const instant = typeof value === 'string' ? parseTimestamp(value) : undefined;
    return instant ?? this.#fault(field, 'is not a date-time');
  }

  /** A whole number that fits GraphQL's `Int`. */
  int(value: unknown, field: string): Checked<number> | null {
    if (value == null) return null;
    if (typeof value !== 'number' || !Number.isInteger(value)) return this.#fault(field, 'is not a whole number');
    return value >= INT32_MIN && value <= INT32_MAX ? value : this.#fault(field, 'is beyond a 32-bit integer');
  }

  /** A count of seconds: fractions are cut to whole seconds; it fits `SafeInt` (2^53 − 1). */
  seconds(value: unknown, field: string): Checked<number> | null {
    if (value == null) return null;
    if (typeof value !== 'number' || !Number.isFinite(value)) return this.#fault(field, 'is not a number of seconds');
    const whole = Math.trunc(value);
    return Number.isSafeInteger(whole) ? whole : this.#fault(field, 'is beyond a safe integer');
  }
}
