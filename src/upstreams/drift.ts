import type { z } from 'zod';
import type { UpstreamName } from './http.ts';
import type { PayloadDrift, UpstreamObserver } from './observer.ts';

/**
 * Payload drift: what an upstream sends that differs from what the gateway reads, without failing
 * it. A key the schema neither reads nor knows as documented is `unexpected`; an optional key the
 * schema reads that the payload lacks is `missing`, unless the docs show it in some answers only. Only key names are ever reported, never values.
 *
 * Checking costs a walk over the payload's keys, so not every payload is walked: the first of each
 * schema on each upstream is, then one in `DRIFT_SAMPLE_EVERY`. A walked payload reports each
 * (field, kind) once, however many of its items show it.
 */
export const DRIFT_SAMPLE_EVERY = 16;

/** The most distinct unexpected fields reported per schema; past it they are reported as `<parent>.*`. */
const MAX_UNEXPECTED_FIELDS = 64;

/** A key reported by name: anything else (too long, odd characters: a map keyed by data, say) is `*`. */
const reportableKey = /^[A-Za-z0-9_$-]{1,64}$/;

/** Where a payload came from: the upstream's HTTP layer (its observer hears of drift) and the route read. */
export interface PayloadSource {
  http: { readonly observer: UpstreamObserver };
  /** The route template (`/user/username/{username}/`), never the path itself. */
  route: string;
  /** The payload's own path inside the reply, when only part of it is parsed (switch's `payload`). */
  at?: string;
}

/** Keys the docs give a payload that the gateway leaves behind (`next`, `passwd`): never drift. */
const documentedOnly = new WeakMap<z.ZodType, readonly string[]>();

/**
 * Marks keys of an object schema as documented but not read: present, they are no drift (zod
 * strips them, so secrets such as switch's `passwd` never get past the boundary).
 */
export function documented<T extends z.ZodType>(schema: T, keys: readonly string[]): T {
  documentedOnly.set(schema, keys);
  return schema;
}

/** Keys the docs show in some answers of a record only (write answers, or with a flag): absent, they are no drift. */
const shownSometimes = new WeakMap<z.ZodType, readonly string[]>();

/**
 * Marks optional keys of an object schema that the docs show in some answers only (gate's
 * `updated_at` in write answers, `balance_seconds` with `balance=true`): their absence is no drift.
 */
export function sometimesShown<T extends z.ZodType>(schema: T, keys: readonly string[]): T {
  shownSometimes.set(schema, keys);
  return schema;
}

interface ObjectShape {
  kind: 'object';
  /** This object's dotted path (`results[].profile`), `''` at the root. */
  path: string;
  /**
   * Every key the gateway expects (read by the schema, or documented and left behind), each
   * with 1 when it is an optional key the schema reads that every answer shows, else 0: a walk
   * counts those present.
   */
  known: ReadonlyMap<string, 0 | 1>;
  /** The optional keys the schema reads that every answer shows, each with its finding when absent (`missing results[].email`). */
  optional: readonly { key: string; finding: string }[];
  /** The keys whose values have a shape of their own to check. */
  nested: readonly { key: string; shape: Shape }[];
}

interface ArrayShape {
  kind: 'array';
  item: Shape;
}

type Shape = ObjectShape | ArrayShape;

/** The zod 4 definition fields read here (its public `_zod.def`). */
interface Definition {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
}

const definitionOf = (schema: z.ZodType) => schema._zod.def as unknown as Definition;
const isOptional = (schema: z.ZodType) => schema._zod.optin === 'optional';
const childPath = (path: string, key: string) => (path === '' ? key : `${path}.${key}`);

/** Wrappers that check nothing of a value's keys themselves. */
const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'nonoptional', 'readonly', 'catch']);

/** The shape a schema checks keys against: undefined where it checks none (primitives, records, unknown). */
function compile(schema: z.ZodType, path: string): Shape | undefined {
  let current = schema;
  for (;;) {
    const definition = definitionOf(current);
    if (WRAPPERS.has(definition.type) && definition.innerType) current = definition.innerType;
    else if (definition.type === 'pipe' && definition.in) current = definition.in;
    else break;
  }
  const definition = definitionOf(current);
  if (definition.type === 'array' && definition.element) {
    const item = compile(definition.element, `${path}[]`);
    return item && { kind: 'array', item };
  }
  if (definition.type !== 'object' || !definition.shape) return undefined;
  const known = new Map<string, 0 | 1>();
  for (const key of documentedOnly.get(current) ?? []) known.set(key, 0);
  const optional: { key: string; finding: string }[] = [];
  const nested: { key: string; shape: Shape }[] = [];
  const sometimes = shownSometimes.get(current) ?? [];
  for (const [key, field] of Object.entries(definition.shape)) {
    const expected = isOptional(field) && !sometimes.includes(key);
    known.set(key, expected ? 1 : 0);
    if (expected) optional.push({ key, finding: `missing ${childPath(path, key)}` });
    const shape = compile(field, childPath(path, key));
    if (shape) nested.push({ key, shape });
  }
  return { kind: 'object', path, known, optional, nested };
}

const shapes = new WeakMap<z.ZodType, Map<string, Shape | null>>();

function shapeOf(schema: z.ZodType, at: string): Shape | null {
  let byPath = shapes.get(schema);
  if (!byPath) shapes.set(schema, (byPath = new Map()));
  let shape = byPath.get(at);
  if (shape === undefined) byPath.set(at, (shape = compile(schema, at) ?? null));
  return shape;
}

/** What one walk found, as `kind field` strings (`missing results[].email`), each once. */
type Findings = Set<string>;

function walk(shape: Shape, value: unknown, found: Findings): void {
  if (shape.kind === 'array') {
    if (Array.isArray(value)) for (const item of value) walk(shape.item, item, found);
    return;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
  const record = value as Record<string, unknown>;
  let optionalPresent = 0;
  for (const key in record) {
    const optional = shape.known.get(key);
    if (optional === undefined) found.add(`unexpected ${childPath(shape.path, reportableKey.test(key) ? key : '*')}`);
    else optionalPresent += optional;
  }
  // Each finding is a string made once, when the shape was: adding it again allocates nothing.
  if (optionalPresent < shape.optional.length) {
    for (const { key, finding } of shape.optional) if (record[key] === undefined) found.add(finding);
  }
  for (const { key, shape: inner } of shape.nested) {
    const field = record[key];
    if (field != null) walk(inner, field, found);
  }
}

/**
 * The drift a payload shows against a schema, every time (no sampling): `unexpected <field>` and
 * `missing <field>` strings, each once. `at` is the payload's own path inside the reply.
 */
export function findDrift(schema: z.ZodType, data: unknown, at = ''): ReadonlySet<string> {
  const shape = shapeOf(schema, at);
  const found: Findings = new Set();
  if (shape) walk(shape, data, found);
  return found;
}

/** Per upstream HTTP layer and schema: how many payloads were seen, and which unexpected fields were reported. */
interface Watch {
  seen: number;
  unexpected: Set<string>;
}

const watches = new WeakMap<object, Map<z.ZodType, Watch>>();

function watchOf(http: object, schema: z.ZodType): Watch {
  let bySchema = watches.get(http);
  if (!bySchema) watches.set(http, (bySchema = new Map()));
  let watch = bySchema.get(schema);
  if (!watch) bySchema.set(schema, (watch = { seen: 0, unexpected: new Set() }));
  return watch;
}

/** An unexpected field beyond the per-schema budget is reported under its parent: `results[].*`. */
function bounded(watch: Watch, field: string): string {
  if (watch.unexpected.has(field) || watch.unexpected.size < MAX_UNEXPECTED_FIELDS) {
    watch.unexpected.add(field);
    return field;
  }
  const dot = field.lastIndexOf('.');
  return dot === -1 ? '*' : `${field.slice(0, dot)}.*`;
}

/**
 * Tells the observer of the drift a payload that parsed shows, when this payload is one to check.
 * Never throws: drift is news, never a failure.
 */
export function reportDrift(upstream: UpstreamName, schema: z.ZodType, data: unknown, source: PayloadSource): void {
  const { observer } = source.http;
  if (!observer.payloadDrift) return;
  const watch = watchOf(source.http, schema);
  if (watch.seen++ % DRIFT_SAMPLE_EVERY !== 0) return;
  for (const finding of findDrift(schema, data, source.at)) {
    const space = finding.indexOf(' ');
    const kind = finding.slice(0, space) as PayloadDrift['kind'];
    const path = finding.slice(space + 1);
    const field = kind === 'unexpected' ? bounded(watch, path) : path;
    try {
      observer.payloadDrift({ upstream, route: source.route, field, kind });
    } catch {
      // An observer must not throw; if one does, the payload still stands.
    }
  }
}
