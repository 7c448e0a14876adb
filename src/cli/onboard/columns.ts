import { readFileSync } from 'node:fs';
import {
  buildSchema,
  getNamedType,
  isInputObjectType,
  isListType,
  isNonNullType,
  type GraphQLInputObjectType,
  type GraphQLInputType,
} from 'graphql';

/** How a cell's text becomes the field's value. */
export type CellKind = 'string' | 'int' | 'boolean' | 'json' | 'list';

/** A column of a people file: a field of `ProvisionUserInput`, nested ones named by their path (`edge.memberships`). */
export interface Column {
  name: string;
  path: string[];
  kind: CellKind;
  /** Without it no row could be provisioned (the password is generated when there is no column of it). */
  required: boolean;
  /**
   * The column of an input object field itself (`edge`): `true` gives the object even when all
   * its own columns are empty on the row (an edge account with no membership and no access token).
   */
  presence?: true;
}

/** Cells of a list column hold their items separated by this. */
export const LIST_SEPARATOR = '|';

/** Fields the CLI sets itself, never from a column. */
const SET_BY_THE_CLI = new Set(['idempotencyKey', 'newOrganization']);
/** Required by the input, but generated when the file has no column of it. */
const GENERATED_WHEN_ABSENT = new Set(['password']);

const SCHEMA_FILE = new URL('../../../schema/schema.graphql', import.meta.url);

/** `ProvisionUserInput` as the gateway's committed schema declares it. */
export function provisionUserInputType(schemaText = readFileSync(SCHEMA_FILE, 'utf8')): GraphQLInputObjectType {
  const type = buildSchema(schemaText).getType('ProvisionUserInput');
  if (!isInputObjectType(type)) throw new Error('the schema has no input ProvisionUserInput');
  return type;
}

function kindOf(type: GraphQLInputType): CellKind {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return 'list';
  switch (getNamedType(inner).name) {
    case 'Int':
      return 'int';
    case 'Boolean':
      return 'boolean';
    case 'JSON':
      return 'json';
    default:
      return 'string';
  }
}

/** The columns a people file may have: every field of the input, nested input objects flattened. */
export function columnsOf(type: GraphQLInputObjectType, prefix: string[] = []): Column[] {
  const columns: Column[] = [];
  for (const field of Object.values(type.getFields())) {
    if (prefix.length === 0 && SET_BY_THE_CLI.has(field.name)) continue;
    const path = [...prefix, field.name];
    const named = getNamedType(field.type);
    const required = isNonNullType(field.type) && !GENERATED_WHEN_ABSENT.has(field.name);
    if (isInputObjectType(named)) {
      columns.push({ name: path.join('.'), path, kind: 'boolean', required: false, presence: true }, ...columnsOf(named, path));
    } else {
      columns.push({ name: path.join('.'), path, kind: kindOf(field.type), required });
    }
  }
  return columns;
}
