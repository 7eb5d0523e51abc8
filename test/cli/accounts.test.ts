/**
 * Many accounts from a config file, through the built CLI in real processes against the sandbox behind Prism:
 * one bulk cancel across two Mixpanel projects and a LivePerson site, and every way the file or an account column
 * can be wrong refused before anything is sent.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runProcess } from '../helpers/cli-process.js';
import { type SandboxBehindPrism, startSandboxBehindPrism } from '../helpers/sandbox-behind-prism.js';

const SECRETS = {
  MP_US_PROJECT: 'acct-us-project-7a1b',
  MP_OAUTH: 'acct-oauth-secret-2c3d',
  LP_CLIENT_ID: 'acct-lp-app',
};
const EU_PROJECT = 'acct-eu-project-file-4e5f';
const LP_SECRET = 'acct-lp-client-secret-6a7b';
let env: SandboxBehindPrism;
const dir = mkdtempSync(join(tmpdir(), 'pd-accounts-'));
const work = join(dir, 'work');

function config(accounts: Record<string, unknown>, path = join(work, 'privacy-deletions.config.json')) {
  writeFileSync(path, `${JSON.stringify({ accounts }, null, 2)}\n`);
  return path;
}

function threeAccounts() {
  writeFileSync(join(dir, 'eu-project-token'), `${EU_PROJECT}\n`);
  writeFileSync(join(dir, 'lp-secret'), LP_SECRET);
  return {
    'mp-us': {
      vendor: 'mixpanel',
      projectToken: { env: 'MP_US_PROJECT' },
      oauthToken: { env: 'MP_OAUTH' },
      baseUrl: env.mixpanelUrl, // through the Prism proxy, so in the spec's form
      trailingSlash: false,
    },
    'mp-eu': {
      vendor: 'mixpanel',
      region: 'eu',
      projectToken: { file: join(dir, 'eu-project-token') },
      oauthToken: { env: 'MP_OAUTH' },
      baseUrl: `${env.sandbox.url}/mixpanel`, // straight to the sandbox, in the default form: paths ending in /
    },
    'lp-main': {
      vendor: 'liveperson',
      siteId: '92186583',
      auth: {
        clientCredentials: { clientId: { env: 'LP_CLIENT_ID' }, clientSecret: { file: join(dir, 'lp-secret') } },
      },
      baseUrl: env.livePersonUrl,
      sentinelBaseUrl: `${env.sandbox.url}/liveperson`,
    },
  };
}

/** The CLI run in `work` (where the default config file is found), with only the config's variables set. */
const cli = (args: string[], extraEnv: Record<string, string> = {}) =>
  runProcess(process.execPath, [BIN, ...args], {
    env: { ...SECRETS, XDG_STATE_HOME: join(dir, 'state'), PRIVACY_DELETIONS_HASH_SALT: 'accounts-salt', ...extraEnv },
    cwd: work,
  });

beforeAll(async () => {
  mkdirSync(work);
  env = await startSandboxBehindPrism({ mixpanelRequestsPerSecond: 100_000, recordRequests: true });
}, 90_000);
afterAll(async () => {
  await env?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('accounts from privacy-deletions.config.json', () => {
  it('one bulk cancel across 3 accounts: each request goes out with its own account, which receipts and journal name', async () => {
    config(threeAccounts());
    const us = env.sandbox.seed('mixpanel', 4, 0, SECRETS.MP_US_PROJECT);
    const eu = env.sandbox.seed('mixpanel', 4, 0, EU_PROJECT);
    const lp = env.sandbox.seed('liveperson', 4);
    const input = join(dir, 'three.csv');
    writeFileSync(
      input,
      [
        'vendor,account,request_id',
        ...us.map((id) => `mixpanel,mp-us,${id}`),
        ...eu.map((id) => `mixpanel,mp-eu,${id}`),
        ...lp.map((id) => `liveperson,,${id}`), // the only LivePerson account: no need to name it
      ].join('\n'),
    );
    const journal = join(dir, 'three.journal');
    const sentBefore = env.sandbox.log.length;
    const run = await cli(['cancel', '--input', input, '--json', '--journal', journal]);
    expect(run.stderr).toMatch(/cancelled 12/);
    expect(run.code).toBe(0);
    const receipts = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(receipts).toHaveLength(12);
    const accountOf = Object.fromEntries(receipts.map((r) => [r.requestId, r.account]));
    for (const id of us) expect(accountOf[id]).toBe('mp-us');
    for (const id of eu) expect(accountOf[id]).toBe('mp-eu');
    for (const id of lp) expect(accountOf[id]).toBe('lp-main');
    expect(receipts.every((r) => r.outcome === 'cancelled' && r.verified === true)).toBe(true);
    // mp-eu went straight to the sandbox with the slash; mp-us through Prism without it
    const sent = env.sandbox.log.slice(sentBefore);
    for (const id of eu) expect(sent).toContain(`DELETE /mixpanel/data-deletions/v3.0/${id}/`);
    for (const id of us) expect(sent).toContain(`DELETE /mixpanel/data-deletions/v3.0/${id}`);
    const records = readFileSync(journal, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const finals = records.filter((r) => r.event === 'final');
    expect(finals.map((r) => `${r.account}:${r.id}`).sort()).toEqual(
      receipts.map((r) => `${r.account}:${r.requestId}`).sort(),
    );
    expect(records[0]).toMatchObject({
      event: 'run-start',
      accounts: expect.arrayContaining(['mp-us', 'mp-eu', 'lp-main']),
    });
    const everything = run.stdout + run.stderr + readFileSync(journal, 'utf8');
    for (const secret of [...Object.values(SECRETS).slice(0, 2), EU_PROJECT, LP_SECRET])
      expect(everything).not.toContain(secret);

    // The sandbox shows a task only to its own project: sent with the other project's token, it is not found.
    const [usOnly] = env.sandbox.seed('mixpanel', 1, 0, SECRETS.MP_US_PROJECT);
    const wrong = await cli(['cancel', '--account', 'mp-eu', usOnly as string, '--json']);
    expect(JSON.parse(wrong.stdout)).toMatchObject({ account: 'mp-eu', outcome: 'not_found' });
    const right = await cli(['cancel', '--account', 'mp-us', usOnly as string, '--json']);
    expect(JSON.parse(right.stdout)).toMatchObject({ account: 'mp-us', outcome: 'cancelled', verified: true });

    // status reads every line with its own account too
    const status = await cli(['status', '--input', input, '--json']);
    expect(status.code).toBe(0);
    const statuses = status.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(statuses.map((r) => `${r.account}:${r.status}`).sort()).toEqual(
      [...us.map(() => 'mp-us:REVOKED'), ...eu.map(() => 'mp-eu:REVOKED'), ...lp.map(() => 'lp-main:CANCELED')].sort(),
    );

    // create with --account: the task belongs to that project only
    const created = await cli(['create', '--account', 'mp-eu', '--ids', 'subject-eu-1', '--yes']);
    const made = JSON.parse(created.stdout);
    expect(made).toMatchObject({ vendor: 'mixpanel', account: 'mp-eu' });
    const seenByUs = await cli(['status', '--account', 'mp-us', made.requestId, '--json']);
    expect(JSON.parse(seenByUs.stdout)).toMatchObject({ account: 'mp-us', status: 'NOT_FOUND' });
    const seenByEu = await cli(['status', '--account', 'mp-eu', made.requestId, '--json']);
    expect(JSON.parse(seenByEu.stdout)).toMatchObject({ account: 'mp-eu', status: 'PENDING' });

    const report = await cli(['report', '--journal', journal]);
    expect(report.stdout).toMatch(/ACCOUNT/);
    expect(report.stdout).toMatch(/mixpanel\s+mp-eu\s/);
  }, 60_000);

  it('refuses a secret written into the file, naming the line, without echoing it; nothing is sent', async () => {
    const accounts = threeAccounts() as Record<string, Record<string, unknown>>;
    (accounts['mp-eu'] as Record<string, unknown>).oauthToken = 'inline-oauth-secret-9z';
    (accounts['mp-us'] as Record<string, unknown>).regoin = 'eu';
    config(accounts);
    const before = env.sandbox.stats().requests;
    const run = await cli(['cancel', '--vendor', 'liveperson', '1']);
    expect(run.code).toBe(2);
    const text = readFileSync(join(work, 'privacy-deletions.config.json'), 'utf8').split('\n');
    const lineOf = (needle: string) => text.findIndex((l) => l.includes(needle)) + 1;
    expect(run.stderr).toContain(
      `privacy-deletions.config.json:${lineOf('inline-oauth-secret')}: accounts.mp-eu.oauthToken: a secret written into the config file`,
    );
    expect(run.stderr).toContain(`:${lineOf('regoin')}: accounts.mp-us: unknown setting "regoin"`);
    expect(run.stderr).not.toContain('inline-oauth-secret-9z');
    expect(env.sandbox.stats().requests).toBe(before);
  });

  it('names what is wrong with an account before anything is sent', async () => {
    const before = env.sandbox.stats().requests;
    const file = config(threeAccounts());
    const input = join(dir, 'unnamed.csv');
    writeFileSync(input, 'vendor,account,request_id\nmixpanel,,t-1\nmixpanel,mp-xx,t-2\nliveperson,mp-us,3\n');
    const lines = await cli(['cancel', '--input', input]);
    expect(lines.code).toBe(2);
    expect(lines.stderr).toContain(`${input}:2: ${file} has 2 mixpanel accounts (mp-us, mp-eu); name one`);
    expect(lines.stderr).toMatch(
      new RegExp(`${input}:3: no account "mp-xx" in .* \\(accounts: mp-us, mp-eu, lp-main\\)`),
    );
    expect(lines.stderr).toContain(`${input}:4: account mp-us is a mixpanel account, not liveperson`);

    const flag = await cli(['cancel', '--region', 'eu', '--account', 'mp-us', 'abc']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain(`--region describe the environment's account; with the config file ${file} set it`);

    const unset = await cli(['cancel', '--account', 'mp-us', 'abc'], { MP_US_PROJECT: '' });
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('accounts.mp-us.projectToken: the environment variable MP_US_PROJECT is not set');

    const other = join(dir, 'elsewhere.json');
    config(
      { solo: { vendor: 'mixpanel', projectToken: { file: join(dir, 'missing') }, oauthToken: { env: 'MP_OAUTH' } } },
      other,
    );
    const missing = await cli(['status', '--config', other, '--account', 'solo', 'abc']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /elsewhere\.json: accounts\.solo\.projectToken: cannot open the file .*missing: no such file/,
    );
    expect(env.sandbox.stats().requests).toBe(before);
  });
});
