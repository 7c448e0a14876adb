#!/usr/bin/env node
// npm run onboard -- <people.csv> [--apply] [--sync [--prune]] ...: see docs/onboarding.md.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import PQueue from 'p-queue';
import { applyPlan, makesSecrets } from './apply.ts';
import { columnsOf, LIST_SEPARATOR, provisionUserInputType } from './columns.ts';
import { describePlan } from './describe-plan.ts';
import { GatewayClient, GatewayRefusal, NoAnswer, type Wait } from './gateway-client.ts';
import { holderOf, readMembers, UnreadableMembers } from './members.ts';
import { countsOf, describeCounts, SUCCEEDED, writeResults } from './outcomes.ts';
import { PeopleFileError, readPeopleFile } from './people-file.ts';
import { planOf, type Plan } from './plan.ts';
import { progressBar, progressLines, type Progress } from './progress.ts';
import { checkRows, type InvalidRow } from './rows.ts';
import { SecretsFile, SecretsFileRefused } from './secrets.ts';

const MANIFEST = fileURLToPath(new URL('generated/persisted-documents.json', import.meta.url));

const USAGE = `Usage: npm run onboard -- <people.csv> [options]

Checks every row of the file by the gateway's rules and prints the plan; writes nothing unless --apply.

  --apply               carry the plan out
  --sync                the file is the truth for its organization: change the people whose rows differ
  --prune               with --sync: also deprovision the members no row names
  --new-organization    the organization has no member yet: create it (newOrganization on every row)
  --secrets <file>      where generated passwords and access-token plaintexts go (mode 0600); needed by
                        --apply when the plan makes any
  --results <file>      with --apply: one JSON line per row (line, username, outcome, ids)
  --concurrency <n>     rows under way at once (default 4)

Columns are the fields of ProvisionUserInput (nested ones as edge.memberships); a list cell holds its
items separated by "${LIST_SEPARATOR}". The gateway: GATEWAY_URL (default http://127.0.0.1:4000/graphql),
GATEWAY_API_KEY; it must hold this CLI's trusted documents: TRUSTED_DOCUMENTS=${MANIFEST}.

Exit status: 0 when every row succeeded (or, in a dry run, would), 1 when some did not,
2 when nothing was done (a bad file or option, a gateway that refused), 130 after Ctrl-C.`;

export const EXIT = { ok: 0, rowsFailed: 1, refused: 2, interrupted: 130 } as const;

/** Stops the run before anything is written, with what to do about it. */
class Refused extends Error {
  override name = 'Refused';
}

interface Options {
  file: string;
  apply: boolean;
  sync: boolean;
  prune: boolean;
  newOrganization: boolean;
  secrets: string | undefined;
  results: string | undefined;
  concurrency: number;
}

function optionsOf(argv: string[]): Options | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        apply: { type: 'boolean', default: false },
        sync: { type: 'boolean', default: false },
        prune: { type: 'boolean', default: false },
        'new-organization': { type: 'boolean', default: false },
        secrets: { type: 'string' },
        results: { type: 'string' },
        concurrency: { type: 'string', default: '4' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new Refused(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1) throw new Refused('name one people file (CSV)');
  if (values.prune && !values.sync) throw new Refused('--prune goes with --sync: only a file that is the truth for its organization says who is no longer in it');
  if (!/^\d+$/.test(values.concurrency) || Number(values.concurrency) < 1 || Number(values.concurrency) > 64) {
    throw new Refused('--concurrency must be a whole number from 1 to 64');
  }
  return {
    file: positionals[0] as string,
    apply: values.apply,
    sync: values.sync,
    prune: values.prune,
    newOrganization: values['new-organization'],
    secrets: values.secrets,
    results: values.results,
    concurrency: Number(values.concurrency),
  };
}

/** What to do about a gateway that refused, or did not answer, the plan's reads. */
function hintFor(error: unknown, url: string): string {
  // A gateway without this manifest: an id it does not know, or (no manifest at all) a parameter it does not take.
  if (error instanceof GatewayRefusal && (error.code === 'PERSISTED_QUERY_NOT_FOUND' || error.code === 'BAD_REQUEST')) {
    return `; the gateway does not hold this CLI's documents: start it with TRUSTED_DOCUMENTS=${MANIFEST} (comma-separated with any other manifest)`;
  }
  if (error instanceof GatewayRefusal && error.status === 401) return '; set GATEWAY_API_KEY to an API key with users:read and users:write';
  if (error instanceof NoAnswer) return `; is the gateway running at ${url}? (GATEWAY_URL)`;
  return '';
}

const describeWait = ({ label, status, code, waitMs }: Wait) =>
  `${label}: the gateway answered ${status}${code ? ` ${code}` : ''}; waiting ${(waitMs / 1000).toFixed(waitMs % 1000 ? 1 : 0)} s as its Retry-After says`;

/** Whether every row would succeed as planned: none invalid, none in conflict, none left differing. */
const planSucceeds = (plan: Plan, options: Options) =>
  !plan.invalid.length &&
  plan.rows.every((row) => row.action !== 'conflict' && (row.action !== 'change' || options.sync)) &&
  (!plan.newOrganization || options.newOrganization);

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const options = optionsOf(argv);
  if (options === 'help') {
    console.log(USAGE);
    return EXIT.ok;
  }
  const type = provisionUserInputType();
  const columns = columnsOf(type);
  let text: string;
  try {
    text = readFileSync(options.file, 'utf8');
  } catch (error) {
    throw new Refused(`${options.file} cannot be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  const file = readPeopleFile(text, columns);
  const checked = checkRows(file.rows, columns, type, options.newOrganization);
  const invalid: InvalidRow[] = [...file.problems.map((problem) => ({ line: problem.line, username: null, problems: [problem] })), ...checked.invalid].sort(
    (a, b) => a.line - b.line,
  );
  const { organization } = checked;
  if (organization === undefined) throw new Refused(`${options.file}: no row names an organization`);

  let notes: (message: string) => void = (message) => console.error(message);
  const url = env['GATEWAY_URL'] || 'http://127.0.0.1:4000/graphql';
  const client = new GatewayClient({ url, apiKey: env['GATEWAY_API_KEY'] || undefined, onWait: (wait) => notes(describeWait(wait)) });

  let plan: Plan;
  let members: number;
  try {
    const withAccessTokens = checked.valid.some((row) => row.input.edge?.accessTokenTitle);
    const found = await readMembers(client, organization, withAccessTokens);
    members = found.size;
    const lookups = new PQueue({ concurrency: options.concurrency });
    const holders = new Map<string, { organization: string | null } | null>();
    for (const { input } of checked.valid.filter((row) => !found.has(row.input.username))) {
      void lookups.add(async () => holders.set(input.username, await holderOf(client, input.username)));
    }
    await lookups.onIdle();
    plan = planOf({ organization, valid: checked.valid, invalid, members: found, holders, named: checked.usernames, prune: options.prune });
  } catch (error) {
    if (error instanceof GatewayRefusal || error instanceof NoAnswer || error instanceof UnreadableMembers) throw new Refused(error.message + hintFor(error, url));
    throw error;
  }

  for (const line of describePlan(plan, { file: options.file, members, sync: options.sync, newOrganizationFlag: options.newOrganization })) console.log(line);
  const secretsNeeded = makesSecrets(plan, options.sync);
  if (!options.apply) {
    console.log(`Dry run: nothing was written.${secretsNeeded && !options.secrets ? ' --apply will need --secrets <file> for the passwords and tokens it makes.' : ''}`);
    return planSucceeds(plan, options) ? EXIT.ok : EXIT.rowsFailed;
  }

  if (plan.newOrganization && !options.newOrganization) throw new Refused(`organization "${plan.organization}" has no member yet; if it is spelt right, run again with --new-organization`);
  if (options.prune && invalid.length) throw new Refused('--prune needs every row valid: a row that cannot be read might name someone it would remove');
  if (secretsNeeded && !options.secrets) throw new Refused('this plan makes passwords or access tokens: name the file they go to with --secrets <file> (created with mode 0600)');
  let secrets: SecretsFile | undefined;
  try {
    secrets = options.secrets ? new SecretsFile(options.secrets) : undefined;
  } catch (error) {
    if (error instanceof SecretsFileRefused) throw new Refused(error.message);
    throw error;
  }

  const progress: Progress = process.stdout.isTTY ? progressBar(process.stdout) : progressLines((line) => console.log(line));
  notes = (message) => progress.note(message);
  const stop = new AbortController();
  let inFlightNoted = false;
  const onInterrupt = () => {
    if (!stop.signal.aborted) {
      progress.note('Ctrl-C: no new row starts; waiting for the rows under way (Ctrl-C again does not hurry them)');
      stop.abort();
    } else if (!inFlightNoted) {
      inFlightNoted = true;
      progress.note('still waiting for the rows under way, so that each one\'s outcome is known');
    }
  };
  process.on('SIGINT', onInterrupt);
  let outcomes;
  try {
    outcomes = await applyPlan({ client, plan, sync: options.sync, secrets, concurrency: options.concurrency, signal: stop.signal, progress });
  } finally {
    progress.stop();
    secrets?.close();
    process.off('SIGINT', onInterrupt);
  }
  if (options.results) writeResults(options.results, outcomes);
  const counts = countsOf(outcomes);
  console.log(`Done: ${describeCounts(counts)}.${options.results ? ` Results: ${options.results}.` : ''}${secrets && counts.created + counts.changed ? ` Secrets: ${secrets.path}.` : ''}`);
  if (stop.signal.aborted) {
    console.log('Stopped by Ctrl-C: run the same command again to go on; what is done shows as unchanged.');
    return EXIT.interrupted;
  }
  return outcomes.every((outcome) => SUCCEEDED.has(outcome.outcome)) ? EXIT.ok : EXIT.rowsFailed;
}

try {
  process.exitCode = await main(process.argv.slice(2), process.env);
} catch (error) {
  if (!(error instanceof Refused || error instanceof PeopleFileError)) throw error;
  console.error(`onboard: ${error.message}`);
  process.exitCode = EXIT.refused;
}
