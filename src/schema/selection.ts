import { Kind, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

function fieldsNamed(selectionSet: SelectionSetNode, name: string, info: GraphQLResolveInfo, into: FieldNode[]): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value === name) into.push(selection);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      fieldsNamed(selection.selectionSet, name, info, into);
    } else {
      const fragment = info.fragments[selection.name.value];
      if (fragment) fieldsNamed(fragment.selectionSet, name, info, into);
    }
  }
}

/**
 * Whether the query selects this path below the current field (through fragments too), e.g.
 * `['devices']` or `['edges', 'node', 'balance']`: it decides whether to ask an upstream for a
 * costlier detailed read. `@skip`/`@include` are not evaluated, which errs towards reading more.
 */
export function selectsPath(info: GraphQLResolveInfo, path: readonly string[]): boolean {
  let nodes: readonly FieldNode[] = info.fieldNodes;
  for (const name of path) {
    const next: FieldNode[] = [];
    for (const node of nodes) if (node.selectionSet) fieldsNamed(node.selectionSet, name, info, next);
    if (next.length === 0) return false;
    nodes = next;
  }
  return true;
}
