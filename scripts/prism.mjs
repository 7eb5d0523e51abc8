// Starts the pinned Prism CLI as a child process on a free loopback port and waits until it listens.
// Shared by `npm start` (scripts/demo.mjs) and the test suite (test/helpers/prism-global-setup.ts).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

/** `prism <mode> <spec> [upstream] --errors` on a free port; resolves with its URL once it listens. */
export async function startPrism(mode, spec, upstream) {
  const port = await freePort();
  const args = [mode, spec, ...(upstream ? [upstream] : []), '--host', '127.0.0.1', '--port', String(port), '--errors'];
  const child = spawn(join(root, 'node_modules/.bin/prism'), args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((res, rej) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`prism ${mode} ${spec} did not start within 45 s:\n${output}`));
    }, 45_000);
    const onData = (chunk) => {
      output += chunk;
      if (output.includes('Prism is listening')) {
        clearTimeout(timer);
        res({ url: `http://127.0.0.1:${port}`, child });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`prism ${mode} ${spec} exited with ${code}:\n${output}`));
    });
  });
}

/** The spec each vendor's traffic is checked against: LivePerson's hand-written one, Mixpanel's with the overlay. */
/** LivePerson's token endpoints (client credentials, Login Service): mocked in contract tests, not proxied. */
export const LIVEPERSON_AUTH_SPEC = 'specs/liveperson/auth.openapi.yaml';

export const VENDOR_SPECS = {
  mixpanel: 'generated/mixpanel.openapi.yaml',
  liveperson: 'specs/liveperson/personal-data-deletion.openapi.yaml',
};

/**
 * One `prism proxy --errors` per vendor in front of a sandbox (its /mixpanel and /liveperson prefixes), so drift
 * between the sandbox and the specs is an error wherever the sandbox is used.
 */
export async function startVendorProxies(sandboxUrl) {
  const started = await Promise.allSettled(
    Object.entries(VENDOR_SPECS).map(([vendor, spec]) => startPrism('proxy', spec, `${sandboxUrl}/${vendor}`)),
  );
  const children = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value.child] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    for (const c of children) c.kill();
    throw failed.reason;
  }
  const [mixpanel, liveperson] = started.map((s) => s.value.url);
  return { mixpanelUrl: mixpanel, livePersonUrl: liveperson, children };
}
