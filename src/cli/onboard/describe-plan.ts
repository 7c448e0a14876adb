import type { Plan, RowPlan } from './plan.ts';

const WIDTH = 100;

/** Items joined by commas, wrapped into indented lines of about `WIDTH` characters. */
function wrapped(items: readonly string[]): string[] {
  const lines: string[] = [];
  let line = '';
  for (const item of items) {
    const next = line ? `${line}, ${item}` : item;
    if (line && next.length + 2 > WIDTH) {
      lines.push(`  ${line},`);
      line = item;
    } else line = next;
  }
  if (line) lines.push(`  ${line}`);
  return lines;
}

const named = ({ row }: RowPlan) => `${row.input.username} (line ${row.line})`;

/**
 * The plan as an operator reads it: the rows refused (by line and column), then those to create,
 * to change (with what differs), left as they are, in conflict, and the members to remove.
 */
export function describePlan(plan: Plan, options: { file: string; members: number; sync: boolean; newOrganizationFlag: boolean }): string[] {
  const { file } = options;
  const rows = plan.invalid.length + plan.rows.length;
  const lines = [`${file}: ${rows} row${rows === 1 ? '' : 's'} for organization "${plan.organization}", which has ${options.members} member${options.members === 1 ? '' : 's'} now.`];
  if (plan.newOrganization) {
    lines.push(
      options.newOrganizationFlag
        ? `Organization "${plan.organization}" has no member yet: --new-organization creates it.`
        : `WARNING: organization "${plan.organization}" has no member yet: a new organization. Check its spelling; --apply creates it only with --new-organization.`,
    );
  }
  const section = (title: string, body: string[]) => {
    if (body.length) lines.push(title, ...body);
  };
  const of = (action: RowPlan['action']) => plan.rows.filter((row) => row.action === action);
  section(
    `Invalid (${plan.invalid.length}; nothing is sent for them):`,
    plan.invalid.flatMap(({ line, problems }) => problems.map((problem) => `  ${file}:${line}: ${problem.column ? `${problem.column}: ` : ''}${problem.message}`)),
  );
  section(`To create (${of('create').length}):`, wrapped(of('create').map(named)));
  const changes = plan.rows.flatMap((row) => (row.action === 'change' ? [`  ${named(row)}: ${row.fields.join(', ')}`] : []));
  section(options.sync ? `To change (${changes.length}):` : `Differ from what the upstreams hold (${changes.length}; --sync changes them):`, changes);
  section(`Unchanged (${of('unchanged').length}):`, wrapped(of('unchanged').map(named)));
  section(
    `Conflicts (${of('conflict').length}):`,
    plan.rows.flatMap((row) => (row.action === 'conflict' ? [`  ${named(row)}: ${row.reason}`] : [])),
  );
  section(`To remove, as no row names them (${plan.removals.length}):`, wrapped(plan.removals));
  return lines;
}
