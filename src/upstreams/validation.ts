import { z } from 'zod';
import { reportDrift, type PayloadSource } from './drift.ts';
import { UpstreamError, type UpstreamName } from './http.ts';

export { documented, sometimesShown, type PayloadSource } from './drift.ts';

/**
 * Validates a payload at the boundary; what fails is named by path, never by value. Keys the
 * schema does not read are dropped (zod strips them) and optional ones may be absent: neither fails
 * a payload, but with a `source` both are reported to its upstream's observer as drift (see `drift.ts`).
 */
export function parsePayload<S extends z.ZodType>(upstream: UpstreamName, schema: S, data: unknown, what: string, source?: PayloadSource): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) {
    if (source) reportDrift(upstream, schema, data, source);
    return result.data;
  }
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

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
}

const CODE = { zero: 48, nine: 57, T: 84, t: 116, space: 32, colon: 58, dash: 45, plus: 43, dot: 46, comma: 44, Z: 90, z: 122 } as const;

/** The two-digit number at `at`, or -1 when either is not a digit. */
function twoDigits(text: string, at: number): number {
  const tens = text.charCodeAt(at) - CODE.zero;
  const ones = text.charCodeAt(at + 1) - CODE.zero;
  return tens >= 0 && tens <= 9 && ones >= 0 && ones <= 9 ? tens * 10 + ones : -1;
}

/**
 * The instant an ISO-8601 / RFC 3339 timestamp names, as upstreams write them: `T`, `t` or a space
 * between date and time; seconds and a fraction (`.` or `,`) optional; then `Z`, `±hh:mm`,
 * `±hhmm`, `±hh` (after an optional space) or no zone at all, which means UTC (edge's naive
 * timestamps). Undefined when it names none: `2024-02-30`, `25:00`, a date without a time.
 * Read character by character, with no allocation: there are thousands in a query's records.
 */
export function parseTimestamp(text: string): Date | undefined {
  const century = twoDigits(text, 0);
  const yearOfCentury = twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const separator = text.charCodeAt(10);
  if (
    century < 0 || yearOfCentury < 0 || text.charCodeAt(4) !== CODE.dash || text.charCodeAt(7) !== CODE.dash ||
    (separator !== CODE.T && separator !== CODE.t && separator !== CODE.space) || text.charCodeAt(13) !== CODE.colon
  ) {
    return undefined;
  }
  const year = century * 100 + yearOfCentury;
  let at = 16;
  let second = 0;
  let milliseconds = 0;
  if (text.charCodeAt(at) === CODE.colon) {
    second = twoDigits(text, at + 1);
    at += 3;
    const mark = text.charCodeAt(at);
    if (mark === CODE.dot || mark === CODE.comma) {
      const digitsFrom = ++at;
      for (let code = text.charCodeAt(at); code >= CODE.zero && code <= CODE.nine; code = text.charCodeAt(++at)) {
        // Tenths, hundredths and thousandths count; finer digits are cut off.
        const place = at - digitsFrom;
        if (place < 3) milliseconds += (code - CODE.zero) * 10 ** (2 - place);
      }
      if (at === digitsFrom) return undefined;
    }
  }
  let offsetMinutes = 0;
  const spaced = text.charCodeAt(at) === CODE.space && at + 1 < text.length;
  if (spaced) at++;
  const zone = text.charCodeAt(at);
  if (zone === CODE.Z || zone === CODE.z) {
    at++;
  } else if (zone === CODE.plus || zone === CODE.dash) {
    const hours = twoDigits(text, at + 1);
    at += 3;
    if (text.charCodeAt(at) === CODE.colon) at++;
    const minutes = at < text.length ? twoDigits(text, at) : 0;
    if (at < text.length) at += 2;
    if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) return undefined;
    offsetMinutes = (zone === CODE.dash ? -1 : 1) * (hours * 60 + minutes);
  } else if (spaced) {
    return undefined;
  }
  const valid =
    at === text.length && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) &&
    hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59;
  if (!valid) return undefined;
  let utc = Date.UTC(year, month - 1, day, hour, minute, second, milliseconds);
  // Date.UTC reads years below 100 as 19xx.
  if (year < 100) utc = new Date(utc).setUTCFullYear(year);
  utc -= offsetMinutes * 60_000;
  // Before year 0 or past 9999 once moved to UTC: no four-digit ISO-8601 year names it.
  return utc >= -62_167_219_200_000 && utc <= 253_402_300_799_999 ? new Date(utc) : undefined;
}

/**
 * Checks and normalises the fields of one upstream's records: what is unambiguous becomes its
 * field's type; anything else becomes the error of that field alone, named by field, never by value.
 */
export class FieldReader {
  readonly upstream: UpstreamName;
  readonly what: string;
  constructor(
    upstream: UpstreamName,
    what: string,
  ) {
    this.upstream = upstream;
    this.what = what;
  }

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
