#!/usr/bin/env node
// `npm run report -- --organization <name>` (or the `user-gateway-report` bin): an organization's
// members as CSV on standard output, read from a running gateway (GATEWAY_URL, GATEWAY_API_KEY).
import { parseArgs } from 'node:util';
import { CliFailure, DEFAULT_GATEWAY_URL, describeWait, EXIT, GatewayClient, gatewayClientOptions, runTool } from '../gateway-client.ts';
import { organizationReport, reportCsv } from './report.ts';

const USAGE = `usage: user-gateway-report --organization <name>
Writes one CSV line per member of the organization (with a header) to standard output.
Reads GATEWAY_URL (the gateway's GraphQL endpoint, default ${DEFAULT_GATEWAY_URL}) and
GATEWAY_API_KEY (an API key with users:read).
Exit codes: 0 written, 1 the gateway answered an error, 2 usage, 3 unknown organization,
4 gateway unreachable, 5 credential refused, 130 stopped by Ctrl-C.`;

/** The organization the command line names, or undefined when it asks for help. */
function organizationArgument(args: readonly string[]): string | undefined {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: { organization: { type: 'string' }, help: { type: 'boolean' } }, strict: true });
  } catch (error) {
    throw new CliFailure(`${(error as Error).message} (see --help)`, EXIT.usage);
  }
  if (parsed.values.help) return undefined;
  const organization = parsed.values.organization;
  if (!organization) throw new CliFailure('--organization <name> is required (see --help)', EXIT.usage);
  return organization;
}

await runTool('user-gateway-report', async () => {
  const organization = organizationArgument(process.argv.slice(2));
  if (organization === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  const client = new GatewayClient({ ...gatewayClientOptions(process.env), onWait: (wait) => process.stderr.write(`${describeWait(wait)}\n`) });
  process.stdout.write(reportCsv(await organizationReport(client, organization)));
  return EXIT.ok;
});
