#!/usr/bin/env node
// npm run onboard -- <people.csv> [--apply] [--sync [--prune]] ...: see docs/onboarding.md.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import PQueue from 'p-queue';
import { CLI_MANIFEST, CliFailure, DEFAULT_GATEWAY_URL, describeWait, EXIT, GatewayClient, gatewayClientOptions, runTool } from '../gateway-client.ts';
import { applyPlan, makesSecrets } from './apply.ts';
import { columnsOf, LIST_SEPARATOR, provisionUserInputType } from './columns.ts';
import { describePlan } from './describe-plan.ts';
import { holderOf, readMembers } from './members.ts';
import { countsOf, describeCounts, SUCCEEDED, writeResults } from './outcomes.ts';
import { PeopleFileError, readPeopleFile } from './people-file.ts';
import { planOf, type Plan } from './plan.ts';
import { progressBar, progressLines, type Progress } from './progress.ts';
import { checkRows, type InvalidRow } from './rows.ts';
import { SecretsFile, SecretsFileRefused } from './secrets.ts';

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
items separated by "${LIST_SEPARATOR}". The gateway: GATEWAY_URL (default ${DEFAULT_GATEWAY_URL}),
GATEWAY_API_KEY (an API key with users:read and users:write). A gateway that runs trusted documents
only needs the tools' manifest: TRUSTED_DOCUMENTS=${CLI_MANIFEST}.

Exit status: 0 every row succeeded (in a dry run: would), 1 some row did not, or the gateway
answered an error; nothing was done with 2 (a bad file or option), 3 (an organization with no
member yet, without --new-organization), 4 (the gateway did not answer), 5 (it refused the
credential); 130 stopped by Ctrl-C.`;

/** Stops the run before anything is written: the command line or the file is wrong. */
const usage = (message: string) => new CliFailure(message, EXIT.usage);

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
    throw usage(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1) throw usage('name one people file (CSV)');
  if (values.prune && !values.sync) throw usage('--prune goes with --sync: only a file that is the truth for its organization says who is no longer in it');
  if (!/^\d+$/.test(values.concurrency) || Number(values.concurrency) < 1 || Number(values.concurrency) > 64) {
    throw usage('--concurrency must be a whole number from 1 to 64');
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

/** The credential a plan's reads were refused with needs both scopes: the plan reads, --apply writes. */
function withScopesHint(error: unknown): unknown {
  if (error instanceof CliFailure && error.exitCode === EXIT.auth) return new CliFailure(`${error.message} (an API key with users:read and users:write)`, EXIT.auth);
  return error;
}

/** Whether every row would succeed as planned: none invalid, none in conflict, none left differing. */
const planSucceeds = (plan: Plan, options: Options) =>
  !plan.invalid.length &&
  plan.rows.every((row) => row.action !== 'conflict' && (row.action !== 'change' || options.sync)) &&
  (!plan.newOrganization || options.newOrganization);

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const options = optionsOf(argv);
  if (options === 'help') {
    console.log(USAGE);
    return EXIT.ok;
  }
  const gateway = gatewayClientOptions(env);
  const type = provisionUserInputType();
  const columns = columnsOf(type);
  let text: string;
  try {
    text = readFileSync(options.file, 'utf8');
  } catch (error) {
    throw usage(`${options.file} cannot be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  let file;
  try {
    file = readPeopleFile(text, columns);
  } catch (error) {
    if (error instanceof PeopleFileError) throw usage(error.message);
    throw error;
  }
  const checked = checkRows(file.rows, columns, type, options.newOrganization);
  const invalid: InvalidRow[] = [...file.problems.map((problem) => ({ line: problem.line, username: null, problems: [problem] })), ...checked.invalid].sort(
    (a, b) => a.line - b.line,
  );
  const { organization } = checked;
  if (organization === undefined) throw usage(`${options.file}: no row names an organization`);

  let notes: (message: string) => void = (message) => console.error(message);
  const client = new GatewayClient({ ...gateway, onWait: (wait) => notes(describeWait(wait)) });

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
    throw withScopesHint(error);
  }

  for (const line of describePlan(plan, { file: options.file, members, sync: options.sync, newOrganizationFlag: options.newOrganization })) console.log(line);
  const secretsNeeded = makesSecrets(plan, options.sync);
  if (!options.apply) {
    console.log(`Dry run: nothing was written.${secretsNeeded && !options.secrets ? ' --apply will need --secrets <file> for the passwords and tokens it makes.' : ''}`);
    return planSucceeds(plan, options) ? EXIT.ok : EXIT.failed;
  }

  if (plan.newOrganization && !options.newOrganization) {
    throw new CliFailure(`organization "${plan.organization}" has no member yet; if it is spelt right, run again with --new-organization`, EXIT.notFound);
  }
  if (options.prune && invalid.length) throw usage('--prune needs every row valid: a row that cannot be read might name someone it would remove');
  if (secretsNeeded && !options.secrets) throw usage('this plan makes passwords or access tokens: name the file they go to with --secrets <file> (created with mode 0600)');
  let secrets: SecretsFile | undefined;
  try {
    secrets = options.secrets ? new SecretsFile(options.secrets) : undefined;
  } catch (error) {
    if (error instanceof SecretsFileRefused) throw usage(error.message);
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
  return outcomes.every((outcome) => SUCCEEDED.has(outcome.outcome)) ? EXIT.ok : EXIT.failed;
}

await runTool('user-gateway-onboard', () => main(process.argv.slice(2), process.env));
