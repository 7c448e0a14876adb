import PQueue from 'p-queue';
import {
  OnboardCreateAccessTokenDocument,
  OnboardCreateEdgeUserDocument,
  OnboardCreateExtraDocument,
  OnboardCreateTokenDocument,
  OnboardDeprovisionDocument,
  OnboardProvisionDocument,
  OnboardReplaceExtraDocument,
  OnboardUpdateEdgeUserDocument,
  OnboardUpdateTokenDocument,
  OnboardUpdateUserDocument,
} from '../generated/graphql.ts';
import { GatewayRefusal, NoAnswer, Stopped, type GatewayClient, type RequestOptions } from '../gateway-client.ts';
import type { RowError, RowOutcome } from './outcomes.ts';
import type { Plan, RowPlan, Step } from './plan.ts';
import type { Progress } from './progress.ts';
import { generatePassword, type ValidRow } from './rows.ts';
import type { SecretsFile } from './secrets.ts';

export interface ApplyOptions {
  client: GatewayClient;
  plan: Plan;
  /** Change the people whose rows differ (`--sync`); without it they are skipped. */
  sync: boolean;
  /** Where generated passwords and access-token plaintexts go; required when the plan makes any. */
  secrets: SecretsFile | undefined;
  concurrency: number;
  /** Aborted by Ctrl-C: no row starts after it, the rows under way finish. */
  signal: AbortSignal;
  progress: Progress;
}

/** The failure fields every mutation's answer selects (`OnboardFailure`). */
interface FailureFields {
  __typename: string;
  message?: string;
  fieldErrors?: { field: string; message: string }[];
}

type StepResult = { ids: Record<string, string> } | { error: RowError };

const errorOf = (failure: FailureFields): RowError => ({
  type: failure.__typename,
  message: failure.message ?? 'no message',
  ...(failure.fieldErrors?.length && { fields: failure.fieldErrors }),
});

/** Whether the plan makes a secret: a generated password, or an access token's plaintext. */
export function makesSecrets(plan: Plan, sync: boolean): boolean {
  return plan.rows.some(
    (row) =>
      (row.action === 'create' && (row.row.passwordGenerated || Boolean(row.row.input.edge?.accessTokenTitle))) ||
      (row.action === 'change' &&
        sync &&
        row.steps.some((step) => step.mutation === 'createAccessToken' || (step.mutation === 'createEdgeUser' && row.row.passwordGenerated))),
  );
}

/** What became of a row that never got to run, or whose run threw. */
function thrownOutcome(base: Pick<RowOutcome, 'line' | 'username'>, error: unknown): RowOutcome {
  if (error instanceof Stopped) return { ...base, outcome: 'skipped', note: 'stopped by Ctrl-C before it was sent' };
  const type = error instanceof NoAnswer || error instanceof GatewayRefusal ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const rerun = error instanceof NoAnswer ? '; whether it landed is not known: run again, and the plan shows it' : '';
  return { ...base, outcome: 'failed', error: { type, message: message + rerun } };
}

/**
 * Carries out a plan: creates the rows to create, changes (with `sync`) the rows that differ,
 * removes the members it lists for removal, at most `concurrency` at a time. Every row ends in
 * exactly one outcome; a row not started when Ctrl-C came is `skipped`.
 */
export async function applyPlan(options: ApplyOptions): Promise<RowOutcome[]> {
  const { client, plan, secrets, signal, progress } = options;
  const outcomes: RowOutcome[] = [];
  const end = (outcome: RowOutcome, sent = false) => {
    outcomes.push(outcome);
    progress.ended(outcome, sent);
  };
  const run = (label: string, repeatable: boolean): RequestOptions => ({ label, repeatable, signal });
  progress.start(plan.invalid.length + plan.rows.length + plan.removals.length);

  /** The row's password for `secret`: one an earlier run wrote, else the file's or a new one, written before it is sent. */
  const passwordFor = (row: ValidRow, secret: 'password' | 'edge.password'): string => {
    if (!row.passwordGenerated) return row.input.password;
    if (!secrets) throw new Error('a generated password needs --secrets');
    const { username } = row.input;
    const earlier = secrets.earlier(username, secret);
    if (earlier !== undefined) return earlier;
    const value = secret === 'password' ? row.input.password : generatePassword();
    secrets.write({ line: row.line, username, secret, value });
    return value;
  };

  const keepAccessToken = (row: ValidRow, title: string, plaintext: string | null | undefined): string | undefined => {
    if (!plaintext) return `the plaintext of access token "${title}" was not in the answer (a replay, or its answer was lost): revoke it and make another`;
    secrets?.write({ line: row.line, username: row.input.username, secret: 'accessToken', title, value: plaintext });
    return undefined;
  };

  async function provision(row: ValidRow): Promise<RowOutcome> {
    const { username } = row.input;
    const base = { line: row.line, username };
    const input = { ...row.input, password: passwordFor(row, 'password') };
    // Keyed: sending it again replays the first answer instead of provisioning twice.
    const result = (await client.run(OnboardProvisionDocument, { input }, run(`provisionUser ${username} (line ${row.line})`, true))).data.provisionUser;
    if (result.__typename !== 'ProvisionUserPayload') return { ...base, outcome: 'failed', error: errorOf(result) };
    const ids: Record<string, string> = { user: result.user.id, token: result.token.id, extra: result.extra.id };
    if (result.edgeAccount) ids['edgeUser'] = result.edgeAccount.id;
    if (result.accessToken) ids['accessToken'] = result.accessToken.accessToken.id;
    const title = row.input.edge?.accessTokenTitle;
    const note = title ? keepAccessToken(row, title, result.accessToken?.plaintext) : undefined;
    return { ...base, outcome: 'created', ids, ...(note && { note }) };
  }

  async function perform(step: Step, row: ValidRow): Promise<StepResult> {
    const label = `${step.mutation} ${row.input.username} (line ${row.line})`;
    switch (step.mutation) {
      case 'updateUser': {
        const result = (await client.run(OnboardUpdateUserDocument, { input: step.input }, run(label, true))).data.updateUser;
        return result.__typename === 'UpdateUserPayload' ? { ids: { user: result.user.id } } : { error: errorOf(result) };
      }
      case 'createToken': {
        const result = (await client.run(OnboardCreateTokenDocument, { input: step.input }, run(label, false))).data.createToken;
        return result.__typename === 'CreateTokenPayload' ? { ids: { token: result.token.id } } : { error: errorOf(result) };
      }
      case 'updateToken': {
        const result = (await client.run(OnboardUpdateTokenDocument, { input: step.input }, run(label, true))).data.updateToken;
        return result.__typename === 'UpdateTokenPayload' ? { ids: { token: result.token.id } } : { error: errorOf(result) };
      }
      case 'createExtra': {
        const result = (await client.run(OnboardCreateExtraDocument, { input: step.input }, run(label, false))).data.createExtra;
        return result.__typename === 'CreateExtraPayload' ? { ids: { extra: result.extra.id } } : { error: errorOf(result) };
      }
      case 'replaceExtra': {
        const result = (await client.run(OnboardReplaceExtraDocument, { input: step.input }, run(label, true))).data.replaceExtra;
        return result.__typename === 'ReplaceExtraPayload' ? { ids: { extra: result.extra.id } } : { error: errorOf(result) };
      }
      case 'createEdgeUser': {
        const input = { ...step.input, password: passwordFor(row, 'edge.password') };
        const result = (await client.run(OnboardCreateEdgeUserDocument, { input }, run(label, false))).data.createEdgeUser;
        return result.__typename === 'CreateEdgeUserPayload' ? { ids: { edgeUser: result.edgeUser.id } } : { error: errorOf(result) };
      }
      case 'updateEdgeUser': {
        const result = (await client.run(OnboardUpdateEdgeUserDocument, { input: step.input }, run(label, true))).data.updateEdgeUser;
        return result.__typename === 'UpdateEdgeUserPayload' ? { ids: { edgeUser: result.edgeUser.id } } : { error: errorOf(result) };
      }
      case 'createAccessToken': {
        const result = (await client.run(OnboardCreateAccessTokenDocument, { input: step.input }, run(label, false))).data.createAccessToken;
        if (result.__typename !== 'CreatedAccessToken') return { error: errorOf(result) };
        keepAccessToken(row, step.input.title, result.plaintext);
        return { ids: { accessToken: result.accessToken.id } };
      }
    }
  }

  async function change(planned: Extract<RowPlan, { action: 'change' }>): Promise<RowOutcome> {
    const { row, fields } = planned;
    const base = { line: row.line, username: row.input.username, fields };
    const ids: Record<string, string> = {};
    const done: string[] = [];
    const partly = () => (done.length ? { note: `done before it stopped: ${done.join(', ')}` } : {});
    for (const step of planned.steps) {
      let result: StepResult;
      try {
        result = await perform(step, row);
      } catch (error) {
        if (!done.length) throw error;
        return { ...thrownOutcome(base, error), outcome: 'failed', ...partly() };
      }
      if ('error' in result) return { ...base, outcome: 'failed', error: result.error, ...partly() };
      Object.assign(ids, result.ids);
      done.push(step.mutation);
    }
    return { ...base, outcome: 'changed', ids };
  }

  async function remove(username: string): Promise<RowOutcome> {
    const base = { line: null, username };
    const result = (await client.run(OnboardDeprovisionDocument, { input: { username } }, run(`deprovisionUser ${username}`, false))).data.deprovisionUser;
    if (result.__typename !== 'DeprovisionUserPayload') return { ...base, outcome: 'failed', error: errorOf(result) };
    return { ...base, outcome: 'removed', note: `removed ${result.removed.join(', ') || 'nothing'}` };
  }

  const tasks: { line: number | null; username: string; work: () => Promise<RowOutcome> }[] = [];
  for (const invalid of plan.invalid) {
    const message = invalid.problems.map((problem) => (problem.column ? `${problem.column}: ${problem.message}` : problem.message)).join('; ');
    end({ line: invalid.line, username: invalid.username, outcome: 'failed', error: { type: 'invalid', message } });
  }
  for (const planned of plan.rows) {
    const base = { line: planned.row.line, username: planned.row.input.username };
    if (planned.action === 'unchanged') end({ ...base, outcome: 'unchanged' });
    else if (planned.action === 'conflict') end({ ...base, outcome: 'failed', error: { type: 'conflict', message: planned.reason } });
    else if (planned.action === 'change' && !options.sync) {
      end({ ...base, outcome: 'skipped', fields: planned.fields, note: 'differs from what the upstreams hold; --sync changes it' });
    } else tasks.push({ ...base, work: () => (planned.action === 'create' ? provision(planned.row) : change(planned)) });
  }
  for (const username of plan.removals) tasks.push({ line: null, username, work: () => remove(username) });

  const queue = new PQueue({ concurrency: options.concurrency });
  const started = new Set<(typeof tasks)[number]>();
  for (const task of tasks) {
    void queue.add(async () => {
      // After Ctrl-C the rows still queued end here, unstarted.
      if (signal.aborted) return;
      started.add(task);
      const base = { line: task.line, username: task.username };
      end(await task.work().catch((error: unknown) => thrownOutcome(base, error)), true);
    });
  }
  await queue.onIdle();
  for (const task of tasks.filter((task) => !started.has(task))) {
    end({ line: task.line, username: task.username, outcome: 'skipped', note: 'not started: stopped by Ctrl-C' });
  }
  return outcomes;
}
