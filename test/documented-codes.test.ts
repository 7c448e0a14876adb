import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

/** Every TypeScript source of the gateway; the simulators stand in for other companies' servers, whose codes are theirs. */
function sources(directory = join(root, 'src')): { path: string; text: string }[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return entry.name === 'simulators' ? [] : sources(path);
    return entry.name.endsWith('.ts') ? [{ path, text: readFileSync(path, 'utf8') }] : [];
  });
}

const CODE = "'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)'";

/** The codes the source answers: `UpstreamErrorCode`'s members, every `code: '…'`, every limit refusal (`refuseWith('…')`). */
function codesInSource(): Map<string, string> {
  const found = new Map<string, string>();
  const add = (code: string, path: string) => found.set(code, path.slice(root.length + 1));
  for (const { path, text } of sources()) {
    const union = /export type UpstreamErrorCode =([^;]*);/.exec(text)?.[1];
    for (const [, code] of union?.matchAll(new RegExp(CODE, 'g')) ?? []) add(code!, path);
    for (const [, code] of text.matchAll(new RegExp(`\\bcode:\\s*${CODE}`, 'g'))) add(code!, path);
    for (const [, code] of text.matchAll(new RegExp(`\\brefuseWith\\(${CODE}`, 'g'))) add(code!, path);
  }
  return found;
}

/**
 * The codes Yoga itself answers before the gateway's code runs (a request that is not GraphQL, a
 * document that does not parse or validate, an operation name that names none); each is checked to
 * be in Yoga's source, so that an upgrade that drops one fails here.
 */
const FRAMEWORK_CODES = ['BAD_REQUEST', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'OPERATION_RESOLUTION_FAILURE', 'INTERNAL_SERVER_ERROR'];

function yogaSource(directory = join(root, 'node_modules/graphql-yoga/esm')): string {
  return readdirSync(directory, { withFileTypes: true })
    .map((entry) => {
      const path = join(directory, entry.name);
      return entry.isDirectory() ? yogaSource(path) : entry.name.endsWith('.js') ? readFileSync(path, 'utf8') : '';
    })
    .join('\n');
}

/** The Errors section of docs/errors.md, up to the next heading of its level. */
function errorsSection(): string {
  const doc = readFileSync(join(root, 'docs/errors.md'), 'utf8');
  const start = doc.indexOf('\n## Errors\n');
  expect(start).toBeGreaterThan(-1);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end === -1 ? undefined : end);
}

/** The codes the section's tables list, one a row: `| \`CODE\` | meaning |`. */
const listedCodes = (section: string) => new Set([...section.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \| (.+) \|$/gm)].map(([, code]) => code!));

describe('docs/errors.md lists every extensions.code', () => {
  it('finds the codes in the source at all (the scan works)', () => {
    const codes = codesInSource();
    for (const code of ['UPSTREAM_BAD_RESPONSE', 'UNAUTHENTICATED', 'QUERY_TOO_DEEP', 'FORBIDDEN', 'BAD_USER_INPUT']) expect(codes.has(code), code).toBe(true);
  });

  it('lists each code the source answers, with its meaning, in the Errors section', () => {
    const listed = listedCodes(errorsSection());
    const unlisted = [...codesInSource()].filter(([code]) => !listed.has(code)).map(([code, path]) => `${code} (${path})`);
    expect(unlisted).toEqual([]);
  });

  it('lists the codes Yoga answers by itself, each still one of Yoga`s', () => {
    const yoga = yogaSource();
    for (const code of FRAMEWORK_CODES) expect(yoga, code).toContain(`'${code}'`);
    const listed = listedCodes(errorsSection());
    expect(FRAMEWORK_CODES.filter((code) => !listed.has(code))).toEqual([]);
  });

  it('lists no code that nothing answers', () => {
    const known = new Set([...codesInSource().keys(), ...FRAMEWORK_CODES]);
    expect([...listedCodes(errorsSection())].filter((code) => !known.has(code))).toEqual([]);
  });

  it('describes extensions.requestId and extensions.upstream', () => {
    const section = errorsSection();
    expect(section).toContain('`extensions.requestId`');
    expect(section).toContain('`extensions.upstream`');
  });
});
