/**
 * `privacy-deletions doctor` as a process: against the sandbox (every check passes, no drift, fixtures recorded and
 * redacted), against broken credentials (a failing check with its hint), and against a fault server answering
 * drifted shapes (each drift reported, exit 1).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { BIN, runProcess } from '../helpers/cli-process.js';
import { scriptedServer, sendJson } from '../helpers/http-server.js';

const SECRETS = {
  MP_A: 'doc-project-a-1f2e',
  MP_B: 'doc-project-b-3d4c',
  MP_OAUTH: 'doc-oauth-5b6a',
  LP_ID: 'doc-lp-app',
  LP_SECRET: 'doc-lp-secret-7c8d',
};
let sandbox: Sandbox;
const dir = mkdtempSync(join(tmpdir(), 'pd-doctor-'));

function config(name: string, base: string, extra: Record<string, unknown> = {}) {
  const path = join(dir, name);
  writeFileSync(
    path,
    JSON.stringify({
      accounts: {
        'mp-a': {
          vendor: 'mixpanel',
          projectToken: { env: 'MP_A' },
          oauthToken: { env: 'MP_OAUTH' },
          oauthTokenIssued: new Date(Date.now() - 40 * 86_400_000).toISOString().slice(0, 10),
          baseUrl: `${base}/mixpanel`,
        },
        'mp-b': {
          vendor: 'mixpanel',
          region: 'eu',
          projectToken: { env: 'MP_B' },
          oauthToken: { env: 'MP_OAUTH' },
          baseUrl: `${base}/mixpanel`,
          trailingSlash: false,
        },
        lp: {
          vendor: 'liveperson',
          siteId: '92186583',
          auth: { clientCredentials: { clientId: { env: 'LP_ID' }, clientSecret: { env: 'LP_SECRET' } } },
          baseUrl: `${base}/liveperson`,
          sentinelBaseUrl: `${base}/liveperson`,
          quotaLedger: join(dir, 'ledger.json'),
        },
        ...extra,
      },
    }),
  );
  return path;
}

const doctor = (args: string[]) =>
  runProcess(process.execPath, [BIN, 'doctor', ...args], { env: { ...SECRETS, XDG_STATE_HOME: join(dir, 'state') } });

beforeAll(async () => {
  sandbox = await startSandbox({ mixpanelRequestsPerSecond: 100_000 });
});
afterAll(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('doctor', () => {
  it('against the sandbox: every check passes, --probe finds no drift and answers the open questions, --record saves redacted fixtures', async () => {
    sandbox.seed('liveperson', 1); // made today: the probe reads it by id
    const file = config('ok.json', sandbox.url);
    const plain = await doctor(['--config', file]);
    expect(plain.code).toBe(0);
    for (const check of [
      'credentials',
      'token age',
      'authenticated read',
      'clock',
      'token fetch',
      'monthly quota \\(local\\)',
    ])
      expect(plain.stdout).toMatch(new RegExp(`${check}\\s+OK`));
    expect(plain.stdout).toMatch(
      /mp-a\s+credentials\s+OK\s+project token from env MP_A; OAuth token from env MP_OAUTH/,
    );
    expect(plain.stdout).toMatch(/mp-b\s+token age\s+WARN .*not known[\s\S]*hint: set oauthTokenIssued/);
    expect(plain.stdout).toMatch(/lp\s+Domain API\s+SKIP/);
    expect(plain.stdout).toMatch(/lp\s+monthly quota \(local\)\s+OK\s+0 of 100 creates/);

    const record = join(dir, 'fixtures');
    const probed = await doctor(['--config', file, '--probe', '--record', record, '--json']);
    expect(probed.code).toBe(0);
    const doc = JSON.parse(probed.stdout);
    expect(doc).toMatchObject({ ok: true, drifts: [] });
    const answers = Object.fromEntries(
      doc.findings.map((f: { question: string; answer: string }) => [f.question, f.answer]),
    );
    expect(answers['NOT_FOUND: as 200 or as 404?']).toBe('HTTP 200 with status NOT_FOUND');
    expect(answers['get by id: an object or an array? request_id: number or string?']).toBe(
      'an array of 1; request_id is a number', // as the sandbox answers; the spec allows both
    );
    expect(answers['does the deletion API accept an OAuth 2.0 client-credentials token?']).toMatch(/^yes/);
    expect(doc.findings.map((f: { question: string }) => f.question)).toContain(
      'trailing slash (status read only): with it, as well as without?',
    );
    const files = readdirSync(record);
    expect(files.length).toBe(doc.recorded.length);
    expect(files.some((f) => f.includes('get-deletion'))).toBe(true);
    const text = files.map((f) => readFileSync(join(record, f), 'utf8')).join('\n');
    for (const secret of Object.values(SECRETS).filter((s) => s !== SECRETS.LP_ID)) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/sbx-[0-9a-f-]{36}/); // the LivePerson access token the sandbox issued
    expect(probed.stdout + probed.stderr).not.toMatch(new RegExp(Object.values(SECRETS).slice(0, 2).join('|')));
  }, 30_000);

  it('names the failing check and its hint: a revoked Mixpanel token, a LivePerson secret that no longer works', async () => {
    const file = config('revoked.json', sandbox.url);
    sandbox.revoke(SECRETS.MP_OAUTH);
    sandbox.revoke(SECRETS.LP_SECRET);
    const run = await doctor(['--config', file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/mp-a\s+authenticated read\s+FAIL\s+AuthenticationError \(HTTP 401\)/);
    expect(run.stdout).toMatch(/hint: the OAuth token is expired, revoked or not a GDPR token/);
    expect(run.stdout).toMatch(/lp\s+token fetch\s+FAIL\s+HTTP 401/);
    expect(run.stdout).toMatch(/hint: wrong client id or secret/);
    expect(run.stdout + run.stderr).not.toContain(SECRETS.MP_OAUTH);
    const json = JSON.parse((await doctor(['--config', file, '--json', '--account', 'mp-b'])).stdout);
    expect(json.ok).toBe(false);
    expect(json.checks.every((c: { account: string }) => c.account === 'mp-b')).toBe(true);
    const usage = await doctor(['--config', file, '--account', 'nope']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--account: no account "nope"/);
  });

  it('--probe reports each drift from the specs: field types, missing and extra fields, an undeclared status', async () => {
    const srv = await scriptedServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const p = url.pathname;
      if (p.endsWith('/app/token'))
        return sendJson(res, 200, { access_token: 'tok-9', token_type: 'Bearer', expires_in: '3600' });
      if (p.startsWith('/liveperson') && p.endsWith('/personal-data-deletion'))
        return sendJson(res, 200, [
          { request_id: '1001', status: 'NOT_STARTED', request_time: new Date().toISOString() },
        ]);
      if (p.startsWith('/liveperson')) return sendJson(res, 200, { request_id: '1001', status: 'NOT_STARTED' });
      // Mixpanel: the prose's status body with the slash; a status the spec does not declare without it
      if (p.endsWith('/'))
        return sendJson(res, 200, { status: 'ok', results: { status: 'NOT_FOUND', result: '', distinct_ids: [] } });
      return sendJson(res, 418, { error: 'teapot' });
    });
    const file = config('drift.json', srv.url);
    const run = await doctor(['--config', file, '--probe', '--account', 'mp-a']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/mp-a\s+authenticated read\s+OK/); // the read itself worked: the drift is in the shape
    expect(run.stdout).toMatch(/drift from the specs: \d+/);
    expect(run.stdout).toMatch(
      /mp-a mixpanel get-deletion HTTP 200 .*\/responses\/200\/.*at \/results: expected a "tracking_id" field, got /,
    );
    expect(run.stdout).toMatch(/at \/results: expected no "result" field, got ""/);
    expect(run.stdout).toMatch(
      /mp-a mixpanel get-deletion HTTP 418 #\/paths\/~1data-deletions~1v3.0~1\{tracking_id\}\/get\/responses: expected a status the spec declares/,
    );

    const lp = await doctor(['--config', file, '--probe', '--account', 'lp', '--json']);
    expect(lp.code).toBe(1);
    const drifts = JSON.parse(lp.stdout).drifts as {
      operation: string;
      instancePath: string;
      expected: string;
      actual: string;
    }[];
    expect(drifts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          operation: 'liveperson-auth fetchToken',
          instancePath: '/expires_in',
          expected: 'type integer',
          actual: '"3600"',
        }),
        expect.objectContaining({
          operation: expect.stringMatching(/^liveperson list/),
          instancePath: '/0/request_id',
          actual: '"1001"',
        }),
        expect.objectContaining({
          operation: expect.stringMatching(/^liveperson get/),
          instancePath: '/request_id',
          actual: '"1001"',
        }),
      ]),
    );
    expect(JSON.parse(lp.stdout).findings).toEqual(
      expect.arrayContaining([expect.objectContaining({ answer: 'an object; request_id is a string' })]),
    );
  });
});
