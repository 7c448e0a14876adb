import { createHash, randomBytes } from 'node:crypto';
import { coerceInputValue, type GraphQLInputObjectType } from 'graphql';
import stringify from 'safe-stable-stringify';
import { newPerson } from '../../schema/new-person.ts';
import { LIST_SEPARATOR, type Column } from './columns.ts';
import type { ProvisionUserInput } from '../generated/graphql.ts';
import type { FileRow, RowProblem } from './people-file.ts';

/** A row the gateway's rules accept: the input `provisionUser` will get for it. */
export interface ValidRow {
  line: number;
  input: ProvisionUserInput;
  /** Whether the password was made up here (no `password` column): a secret to hand over. */
  passwordGenerated: boolean;
}

/** A row the file or the gateway's rules refuse, with every problem it has. */
export interface InvalidRow {
  line: number;
  username: string | null;
  problems: RowProblem[];
}

export interface CheckedRows {
  valid: ValidRow[];
  invalid: InvalidRow[];
  /** The organization the file is for: the one its rows name most often. */
  organization: string | undefined;
  /** Every username the file names, on valid rows and invalid ones alike. */
  usernames: Set<string>;
}

type Decoded = { value: unknown } | { problem: string };

function decode(column: Column, text: string): Decoded {
  // A password is taken as written; any other cell without the spaces around it.
  const cell = column.name === 'password' ? text : text.trim();
  if (cell === '') return { value: undefined };
  switch (column.kind) {
    case 'string':
      return { value: cell };
    case 'int':
      return /^[+-]?\d+$/.test(cell) ? { value: Number(cell) } : { problem: 'must be a whole number' };
    case 'boolean':
      return /^(true|false)$/i.test(cell) ? { value: cell.toLowerCase() === 'true' } : { problem: 'must be true or false' };
    case 'list':
      return { value: cell.split(LIST_SEPARATOR).map((item) => item.trim()) };
    case 'json':
      try {
        return { value: JSON.parse(cell) as unknown };
      } catch {
        return { problem: 'must be JSON (a JSON object, say {"theme": "dark"})' };
      }
  }
}

/** A generated password: 144 random bits. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

/**
 * The idempotency key of a row: a hash of what it asks for, the password left out (a key is no
 * place for anything derived from one). The same row, in this file or a copy of it, sends the
 * same key, so that a provisioning interrupted before its answer came back replays instead of
 * running twice; a row whose values changed is another request.
 */
export function idempotencyKeyOf(input: Omit<ProvisionUserInput, 'idempotencyKey'>): string {
  const { password: _password, ...asked } = input;
  return `onboard-${createHash('sha256').update(stringify(asked)).digest('hex')}`;
}

/** The column an input path names: `edge.memberships` for `edge.memberships.2`. */
const columnOf = (path: readonly PropertyKey[]) => path.filter((part) => typeof part === 'string').join('.') || undefined;

function setAt(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  const [head, ...rest] = path as [string, ...string[]];
  if (rest.length === 0) {
    target[head] = value;
    return;
  }
  const inner = (target[head] ??= {}) as Record<string, unknown>;
  setAt(inner, rest, value);
}

/** The input a row's cells make, or the cells that do not decode. */
function inputOf(row: FileRow, columns: readonly Column[]): { input: Record<string, unknown>; problems: RowProblem[] } {
  const input: Record<string, unknown> = {};
  const problems: RowProblem[] = [];
  const presence = new Map<string, boolean>();
  for (const column of columns) {
    const text = row.cells.get(column.name);
    if (text === undefined) continue;
    const decoded = decode(column, text);
    if ('problem' in decoded) problems.push({ line: row.line, column: column.name, message: decoded.problem });
    else if (decoded.value === undefined) continue;
    else if (column.presence) presence.set(column.name, decoded.value as boolean);
    else setAt(input, column.path, decoded.value);
  }
  for (const [name, given] of presence) {
    if (given) input[name] ??= {};
    else if (input[name] !== undefined) problems.push({ line: row.line, column: name, message: `is false, yet cells of ${name}.… are given` });
  }
  return { input, problems };
}

/** The problems the gateway would answer for this input: GraphQL's own coercion, then provisionUser's rules. */
function gatewayProblems(line: number, input: ProvisionUserInput, type: GraphQLInputObjectType): RowProblem[] {
  const problems: RowProblem[] = [];
  coerceInputValue(input, type, (path, _value, error) => {
    const column = columnOf(path) ?? columnOf(/"(\w+)"/.exec(error.message)?.slice(1) ?? []);
    problems.push({ line, ...(column && { column }), message: error.message });
  });
  if (problems.length) return problems;
  const checked = newPerson.safeParse(input);
  if (checked.success) return [];
  return checked.error.issues.map((issue) => {
    const column = columnOf(issue.path);
    return { line, ...(column && { column }), message: issue.message };
  });
}

/** Values on two rows or more, with the lines they are on. */
function repeated(rows: readonly FileRow[], column: string, normalize: (value: string) => string): Map<number, number[]> {
  const linesByValue = new Map<string, number[]>();
  for (const row of rows) {
    const value = row.cells.get(column)?.trim();
    if (!value) continue;
    const key = normalize(value);
    linesByValue.set(key, [...(linesByValue.get(key) ?? []), row.line]);
  }
  const others = new Map<number, number[]>();
  for (const lines of linesByValue.values()) {
    if (lines.length > 1) for (const line of lines) others.set(line, lines.filter((other) => other !== line));
  }
  return others;
}

/** The organization most rows name (the first of equals); a row naming another is a problem. */
function organizationOf(rows: readonly FileRow[]): string | undefined {
  const counts = new Map<string, number>();
  for (const row of rows) {
    const name = row.cells.get('organization')?.trim();
    if (name) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  let chosen: string | undefined;
  for (const [name, count] of counts) if (chosen === undefined || count > (counts.get(chosen) as number)) chosen = name;
  return chosen;
}

/**
 * Checks every row as the gateway would check its `provisionUser` input, and the file as a whole:
 * one organization, no username or email on two rows (emails compared without case). A row with
 * any problem is left out of `valid`, and every problem names its line and column.
 */
export function checkRows(
  rows: readonly FileRow[],
  columns: readonly Column[],
  type: GraphQLInputObjectType,
  /** `newOrganization: true` on every row (`--new-organization`). */
  newOrganization: boolean,
): CheckedRows {
  const organization = organizationOf(rows);
  const sameUsername = repeated(rows, 'username', (value) => value);
  const sameEmail = repeated(rows, 'email', (value) => value.toLowerCase());
  const passwordGenerated = !rows.some((row) => row.cells.has('password'));
  const valid: ValidRow[] = [];
  const invalid: InvalidRow[] = [];
  for (const row of rows) {
    const decoded = inputOf(row, columns);
    const rowProblems = [...decoded.problems];
    const named = row.cells.get('organization')?.trim();
    if (named && named !== organization) {
      rowProblems.push({ line: row.line, column: 'organization', message: `is "${named}", where the file is for "${organization}": one file holds one organization` });
    }
    for (const [column, lines] of [['username', sameUsername.get(row.line)], ['email', sameEmail.get(row.line)]] as const) {
      if (lines) rowProblems.push({ line: row.line, column, message: `is on line ${lines.join(', ')} too` });
    }
    const person = {
      ...decoded.input,
      ...(passwordGenerated && { password: generatePassword() }),
      ...(newOrganization && { newOrganization: true }),
    } as Omit<ProvisionUserInput, 'idempotencyKey'>;
    const input: ProvisionUserInput = { idempotencyKey: idempotencyKeyOf(person), ...person };
    // Cells that did not decode are left out of the input: the gateway's word on them adds nothing.
    const undecoded = new Set(decoded.problems.map((problem) => problem.column));
    rowProblems.push(...gatewayProblems(row.line, input, type).filter((problem) => !undecoded.has(problem.column)));
    if (rowProblems.length) invalid.push({ line: row.line, username: row.cells.get('username')?.trim() || null, problems: rowProblems });
    else valid.push({ line: row.line, input, passwordGenerated });
  }
  const usernames = new Set(rows.map((row) => row.cells.get('username')?.trim()).filter((name): name is string => Boolean(name)));
  return { valid, invalid, organization, usernames };
}
