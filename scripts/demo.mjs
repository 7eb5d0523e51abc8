#!/usr/bin/env node
// `npm start`: starts local Prism mocks of both vendor specs and cancels a sample request at each through the SDK.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLivePersonClient, createMixpanelClient } from '../dist/src/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const children = [];
const stopAll = () => {
  for (const c of children) c.kill('SIGTERM');
};
process.on('exit', stopAll);

const freePort = () =>
  new Promise((res, rej) => {
    const srv = createServer();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });

async function prismMock(spec) {
  const port = await freePort();
  const child = spawn(
    join(root, 'node_modules/.bin/prism'),
    ['mock', spec, '--host', '127.0.0.1', '--port', String(port), '--errors'],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  return new Promise((res, rej) => {
    let out = '';
    const onData = (d) => {
      out += d;
      if (out.includes('Prism is listening')) res(`http://127.0.0.1:${port}`);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => rej(new Error(`prism exited (${code}):\n${out}`)));
  });
}

const [lpUrl, mpUrl] = await Promise.all([
  prismMock('specs/liveperson/personal-data-deletion.openapi.yaml'),
  prismMock('generated/mixpanel.openapi.yaml'),
]);
console.log(`Prism mocks: LivePerson ${lpUrl}, Mixpanel ${mpUrl}\n`);

const mixpanel = createMixpanelClient({
  projectToken: 'demo-project-token',
  oauthToken: 'demo-oauth-token',
  baseUrl: mpUrl,
});
const liveperson = createLivePersonClient({ siteId: '92186583', auth: { bearer: 'demo-bearer' }, baseUrl: lpUrl });

let failed = false;
for (const [label, cancel] of [
  [
    'Mixpanel  cancelDeletion("35bd8477-f71f-4088-af55-c88a6fb4ad4b")',
    () => mixpanel.cancelDeletion('35bd8477-f71f-4088-af55-c88a6fb4ad4b'),
  ],
  ['LivePerson cancelDeletionRequest("7723")', () => liveperson.cancelDeletionRequest('7723')],
]) {
  try {
    const r = await cancel();
    console.log(
      `${label}\n  → ${r.outcome} (HTTP ${r.httpStatus}${r.vendorStatus ? `, ${r.vendorStatus}` : ''}): ${r.detail}`,
    );
  } catch (err) {
    failed = true;
    console.log(`${label}\n  → error ${err.name}: ${err.message}`);
  }
}
stopAll();
process.exit(failed ? 1 : 0);
