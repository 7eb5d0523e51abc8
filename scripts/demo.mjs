#!/usr/bin/env node
// `npm start`: starts the stateful sandbox behind `prism proxy --errors` (one per vendor spec), seeds a few deletion
// requests through the SDK — one of each vendor already past its cancel window — and runs the real CLI to cancel them.
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLivePersonClient, createMixpanelClient } from '../dist/src/index.js';
import { startSandbox } from '../dist/src/sandbox/server.js';
import { startVendorProxies } from './prism.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sandbox = await startSandbox({ mixpanelRequestsPerSecond: 5 });
const { mixpanelUrl: mpUrl, livePersonUrl: lpUrl, children } = await startVendorProxies(sandbox.url);
process.on('exit', () => {
  for (const c of children) c.kill('SIGTERM');
});
const env = {
  ...process.env,
  PRIVACY_DELETIONS_ALLOW_HOSTS: '127.0.0.1', // the sandbox: credentials may go there
  MIXPANEL_PROJECT_TOKEN: 'demo-project-token',
  MIXPANEL_OAUTH_TOKEN: 'demo-oauth-token',
  MIXPANEL_BASE_URL: mpUrl,
  // The OpenAPI file's paths (no trailing slash), so that Prism checks each request against the spec.
  MIXPANEL_TRAILING_SLASH: 'false',
  LIVEPERSON_SITE_ID: '92186583',
  LIVEPERSON_BEARER: 'demo-bearer',
  LIVEPERSON_BASE_URL: lpUrl,
};
console.log(`sandbox ${sandbox.url}, behind prism proxy --errors: Mixpanel ${mpUrl}, LivePerson ${lpUrl}\n`);

// Seed through the SDK, as a privacy team would have created them.
const mixpanel = createMixpanelClient({
  projectToken: env.MIXPANEL_PROJECT_TOKEN,
  oauthToken: env.MIXPANEL_OAUTH_TOKEN,
  baseUrl: mpUrl,
  rateLimit: { requests: 4, intervalMs: 1000 },
  trailingSlash: false,
});
const liveperson = createLivePersonClient({
  siteId: '92186583',
  auth: { bearer: env.LIVEPERSON_BEARER },
  baseUrl: lpUrl,
});
const old = [
  (await mixpanel.createDeletion({ distinctIds: ['user-old-1'] })).taskId,
  String((await liveperson.createDeletionRequest({ consumer: ['consumer-old-1'] })).request_id),
];
sandbox.advance(6 * 24 * 3600 * 1000); // six days pass: both are now past their cancel windows
const fresh = [
  (await mixpanel.createDeletion({ distinctIds: ['user-1'] })).taskId,
  (await mixpanel.createDeletion({ distinctIds: ['user-2'] })).taskId,
  String(
    (await liveperson.createDeletionRequest({ conversation: ['0345bf7d-08dc-4e61-8a11-e566e3bcd787'] })).request_id,
  ),
];
const input = join(tmpdir(), `privacy-deletions-demo-${process.pid}.csv`);
writeFileSync(
  input,
  [
    'vendor,request_id',
    `mixpanel,${fresh[0]}`,
    `mixpanel,${fresh[1]}`,
    `liveperson,${fresh[2]}`,
    `mixpanel,${old[0]}`,
    `liveperson,${old[1]}`,
  ].join('\n'),
);
const journal = join(tmpdir(), `privacy-deletions-demo-${process.pid}.jsonl`);
const run = async (args) => {
  console.log(`$ privacy-deletions ${args.join(' ')}\n`);
  const child = spawn(process.execPath, [join(root, 'dist/src/cli/bin.js'), ...args], { env, stdio: 'inherit' });
  return new Promise((r) => child.on('close', r));
};
const code = await run(['cancel', '--input', input, '--journal', journal]);
console.log(`\nexit code ${code} (1: not every request could be cancelled — two were too late)\n`);
// The journal read back as the audit record of the run.
await run(['report', '--journal', journal]);
await sandbox.close();
// The demo's input and journal were only for this run: leave nothing behind in the temp folder.
for (const file of [input, journal]) rmSync(file, { force: true });
process.exit(code === 1 || code === 0 ? 0 : code);
