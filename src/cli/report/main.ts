#!/usr/bin/env node
// `npm run report -- --organization <name>` (or the `user-gateway-report` bin): an organization's
// members as CSV on standard output, read from a running gateway (GATEWAY_URL, GATEWAY_API_KEY).
import { parseArgs } from 'node:util';
import { CliFailure, EXIT, GatewayClient, gatewayClientOptions } from '../gateway-client.ts';
import { organizationReport, reportCsv } from './report.ts';

const USAGE = `usage: user-gateway-report --organization <name>
Writes one CSV line per member of the organization (with a header) to standard output.
Reads GATEWAY_URL (the gateway's GraphQL endpoint) and GATEWAY_API_KEY (an API key with users:read).
Exit codes: 0 written, 1 the gateway answered an error, 2 usage, 3 unknown organization,
4 gateway unreachable, 5 credential refused.`;

function organizationArgument(args: readonly string[]): string {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: { organization: { type: 'string' }, help: { type: 'boolean' } }, strict: true });
  } catch (error) {
    throw new CliFailure(`${(error as Error).message} (see --help)`, EXIT.usage);
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(EXIT.ok);
  }
  const organization = parsed.values.organization;
  if (!organization) throw new CliFailure('--organization <name> is required (see --help)', EXIT.usage);
  return organization;
}

try {
  const organization = organizationArgument(process.argv.slice(2));
  const client = new GatewayClient(gatewayClientOptions(process.env));
  process.stdout.write(reportCsv(await organizationReport(client, organization)));
} catch (error) {
  const failure = error instanceof CliFailure ? error : new CliFailure(`report failed: ${(error as Error).message}`, EXIT.failed);
  process.stderr.write(`user-gateway-report: ${failure.message}\n`);
  process.exitCode = failure.exitCode;
}
