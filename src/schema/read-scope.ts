import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type PothosTypeConfig, type SchemaTypes } from '@pothos/core';
import type { GraphQLFieldResolver } from 'graphql';
import type { Caller } from './context.ts';
import { forbiddenField } from './errors.ts';

/**
 * Marks a type (or an interface, for every type implementing it) as what a mutation answers with:
 * its payload or its failures. Their own fields answer whoever may write.
 */
export const PART_OF_WRITE_ANSWER = { partOfWriteAnswer: true } as const;

/** Marks a field that says which record this is (a username, the token a balance is of), as fields of type `ID` do. */
export const IDENTIFIES_RECORD = { identifiesRecord: true } as const;

const pluginName = 'readScope';

/**
 * A mutation's payload leads to the records it wrote (a person, then their edge account, its login
 * history, ...), which a client that may write but not read (`users:write` without `users:read`)
 * must not read through it. So every field of every type but the roots (which carry their own
 * scopes) needs `users:read`, except what identifies a record (fields of type `ID`, and those
 * marked `IDENTIFIES_RECORD`) and the fields of the write's own answer (types marked
 * `PART_OF_WRITE_ANSWER`: payloads, failures, a new access token with its plaintext, shown once to
 * the writer that made it). Refused as the Query root refuses: null with FORBIDDEN on that field,
 * and nothing below it resolved; so a field a payload reaches is nullable unless it identifies.
 * Readers pay one set lookup per field.
 */
export class ReadScopePlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    if (!this.#needsRead(fieldConfig)) return resolver;
    return (parent, args, context, info) => {
      if (!(context as { caller: Caller }).caller.scopes.has('users:read')) throw forbiddenField(info);
      return resolver(parent, args, context, info);
    };
  }

  #needsRead(field: PothosOutputFieldConfig<Types>): boolean {
    const parent = this.buildCache.getTypeConfig(field.parentType);
    if (parent.kind !== 'Object' || this.#partOfWriteAnswer(parent) || field.extensions?.['identifiesRecord'] === true) return false;
    return field.type.kind === 'List' || this.buildCache.getTypeConfig(field.type.ref).name !== 'ID';
  }

  #partOfWriteAnswer(type: PothosTypeConfig): boolean {
    if (type.extensions?.['partOfWriteAnswer'] === true) return true;
    const interfaces = type.kind === 'Object' || type.kind === 'Interface' ? type.interfaces : [];
    return interfaces.some((ref) => this.#partOfWriteAnswer(this.buildCache.getTypeConfig(ref)));
  }
}

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      readScope: ReadScopePlugin<Types>;
    }
  }
}

SchemaBuilder.registerPlugin(pluginName, ReadScopePlugin);

export default pluginName;
