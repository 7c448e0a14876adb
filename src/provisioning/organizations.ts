import { distance } from 'fastest-levenshtein';
import { ValidationError } from './failures.ts';

/** What tells whether an organization is known: gate has members of it, and which others it has. */
export interface KnownOrganizations {
  /** Whether gate has at least one user filed under exactly this organization. */
  hasMembers(name: string): Promise<boolean>;
  /** The organizations gate has members of (those the writer may see), with their member counts. */
  all(): Promise<readonly { name: string; memberCount: number }[]>;
}

/**
 * The known organization a mistyped name most likely meant: the fewest edits (letters case-folded),
 * then the most members, then the first by name. Undefined when none is known.
 */
export function closestOrganization(name: string, known: readonly { name: string; memberCount: number }[]): string | undefined {
  const folded = name.toLowerCase();
  let best: { name: string; edits: number; memberCount: number } | undefined;
  for (const candidate of known) {
    const edits = distance(folded, candidate.name.toLowerCase());
    const better =
      !best ||
      edits < best.edits ||
      (edits === best.edits && (candidate.memberCount > best.memberCount || (candidate.memberCount === best.memberCount && candidate.name < best.name)));
    if (better) best = { name: candidate.name, edits, memberCount: candidate.memberCount };
  }
  return best?.name;
}

/**
 * Organizations are free text on gate, so a typo would make a new one. A person may be filed under
 * an organization gate has members of, or under a new one only when the writer says so
 * (`newOrganization`); otherwise a ValidationError on `organization` names the closest known one.
 * Saying so for an organization that has members is no error: a rerun of an onboarding says it too.
 */
export async function requireKnownOrganization(organizations: KnownOrganizations, name: string, newOrganization: boolean): Promise<void> {
  if (newOrganization || (await organizations.hasMembers(name))) return;
  const closest = closestOrganization(name, await organizations.all());
  const suggestion = closest === undefined ? '.' : `; did you mean ${JSON.stringify(closest)}?`;
  // Not lasting: once gate has a member of it (another onboarding's first row, say), the same input passes.
  throw new ValidationError([{ field: 'organization', message: `no member of ${JSON.stringify(name)} yet${suggestion} Set newOrganization to create it.` }], false);
}
