/**
 * The package as a new user gets it: `npm pack`, installed from the tarball into an empty project, type-checked
 * there under every common module setting with `skipLibCheck: false` and no DOM lib, then publint --strict and
 * Are the Types Wrong (profile esm-only) on the same tarball, the installed CLI run, and the registry's native
 * SQLite loaded from the installed package.
 */
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scriptedServer, sendJson } from '../helpers/http-server.js';

const run = promisify(execFile);
type RunError = { code: number; stdout: string; stderr: string };
const root = resolve(import.meta.dirname, '../..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);
const work = mkdtempSync(join(tmpdir(), 'pd-tarball-'));
const consumer = join(work, 'consumer');
let tarball = '';

/** What a user writes first: both factories, a cancel, the errors, the result types. */
const CONSUMER_SOURCE = `
import {
  type CancelResult,
  ConflictError,
  createLivePersonClient,
  createMixpanelClient,
  MIXPANEL_MAX_DISTINCT_IDS,
  PrivacyApiError,
} from 'privacy-deletions';
import { createLivePersonClient as livePersonOnly } from 'privacy-deletions/liveperson';
import { createMixpanelClient as mixpanelOnly, TimeoutError } from 'privacy-deletions/mixpanel';
import { type DeadlineEntry, openRegistry } from 'privacy-deletions/registry';

export const recorded = (path: string) =>
  createMixpanelClient({ projectToken: 'p', oauthToken: 'o', registry: openRegistry(path, { salt: 's' }), registryAccount: 'mp-eu' });
export async function soonest(path: string): Promise<DeadlineEntry | undefined> {
  for await (const entry of openRegistry(path, { salt: 's' }).deadlines()) return entry;
  return undefined;
}

export const smaller = [mixpanelOnly({ projectToken: 'p', oauthToken: 'o' }), livePersonOnly({ siteId: '1', auth: { bearer: 'b' } })];
export const sameClass: boolean = new TimeoutError('t', { vendor: 'mixpanel', operation: 'x' }) instanceof PrivacyApiError;

const mixpanel = createMixpanelClient({ projectToken: 'p', oauthToken: 'o', region: 'eu', maxResponseBytes: 65536 });
const liveperson = createLivePersonClient({ siteId: '1', auth: { bearer: 'b' }, monthlyQuota: { limit: 100 } });

export async function cancelBoth(trackingId: string, requestId: string): Promise<CancelResult[]> {
  try {
    return [await mixpanel.cancelDeletion(trackingId), await liveperson.cancelDeletionRequest(requestId)];
  } catch (err) {
    if (err instanceof ConflictError) console.log(err.conflictingDistinctIds, MIXPANEL_MAX_DISTINCT_IDS);
    if (err instanceof PrivacyApiError) console.log(err.status, err.requestId, err.attempts);
    throw err;
  }
}
`;

const SETTINGS: Record<string, Record<string, string>> = {
  node16: { module: 'node16', moduleResolution: 'node16' },
  nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
  // a CommonJS project type-checks against the top-level "types" (at run time it needs import() or require(esm))
  commonjs: { module: 'commonjs', moduleResolution: 'node10' },
};

beforeAll(async () => {
  // --ignore-scripts: `prepare` would rebuild dist/ under the tests that are using it; npm test has just built it.
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
    cwd: root,
  });
  tarball = join(work, (JSON.parse(stdout) as { filename: string }[])[0]?.filename ?? '');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: consumer });
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the packed package in an empty project', () => {
  it('ships only what runs: dist, README, LICENSE, CHANGELOG; no source maps, specs or generated sources', async () => {
    const installed = join(consumer, 'node_modules', 'privacy-deletions');
    expect(readdirSync(installed).sort()).toEqual(['CHANGELOG.md', 'LICENSE', 'README.md', 'dist', 'package.json']);
    const files = readdirSync(join(installed, 'dist'), { recursive: true }).map(String);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files).toContain(join('src', 'index.d.ts'));
  });

  it.each(Object.keys(SETTINGS))(
    'type-checks under module %s with skipLibCheck false and no DOM lib',
    async (name) => {
      const dir = join(consumer, `check-${name}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'index.ts'), CONSUMER_SOURCE);
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            ...SETTINGS[name],
            target: 'es2022',
            lib: ['es2023'],
            types: ['node'],
            typeRoots: [join(root, 'node_modules', '@types')],
            strict: true,
            skipLibCheck: false,
            noEmit: true,
          },
          files: ['index.ts'],
        }),
      );
      const result = await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir]).catch(
        (err: { stdout: string }) => err,
      );
      expect(result.stdout).toBe('');
    },
    60_000,
  );

  it('publint --strict and Are the Types Wrong (esm-only) find nothing', async () => {
    const lint = await run(bin('publint'), ['run', tarball, '--strict']);
    expect(lint.stdout).toContain('All good!');
    const attw = await run(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'json']);
    const report = JSON.parse(attw.stdout) as { analysis: { problems: unknown[] } };
    expect(report.analysis.problems.filter((p) => !isIgnoredCjsProblem(p))).toEqual([]);
  }, 60_000);

  it('the subpath entries load and share the error classes with the root', async () => {
    const script = `
      const root = await import('privacy-deletions');
      const mixpanel = await import('privacy-deletions/mixpanel');
      const liveperson = await import('privacy-deletions/liveperson');
      console.log(JSON.stringify([
        typeof mixpanel.createMixpanelClient, typeof liveperson.createLivePersonClient,
        'createLivePersonClient' in mixpanel, mixpanel.PrivacyApiError === root.PrivacyApiError,
      ]));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: consumer });
    expect(JSON.parse(stdout)).toEqual(['function', 'function', false, true]);
  });

  it('the installed CLI runs', async () => {
    const { stdout } = await run(join(consumer, 'node_modules', '.bin', 'privacy-deletions'), ['--version']);
    expect(stdout.trim()).toBe('0.1.0');
  });

  it('the registry from the installed package: SQLite loads, keeps digests, and the installed CLI lists its deadlines', async () => {
    const script = join(consumer, 'register.mjs');
    writeFileSync(
      script,
      `import { openRegistry } from 'privacy-deletions/registry';
const registry = openRegistry(process.argv[2], { salt: 'tarball-salt' });
const requestedAt = new Date(Date.now() - 4.5 * 86400000).toISOString(); // its 5-day window closes in 12 h
await registry.record({ vendor: 'liveperson', account: 'lp', requestId: '7', requestedAt, idType: 'consumer', subjects: ['jane@example.com'] });
await registry.close();
`,
    );
    const db = join(work, 'registry.db');
    await run(process.execPath, [script, db], { cwd: consumer });
    const cli = join(consumer, 'node_modules', '.bin', 'privacy-deletions');
    const env = { ...process.env, PRIVACY_DELETIONS_HASH_SALT: 'tarball-salt' };
    const soon = await run(cli, ['deadlines', '--registry', db, '--within', '24h', '--json'], { cwd: work, env }).catch(
      (e: RunError) => e,
    );
    expect((soon as RunError).code).toBe(1);
    expect(JSON.parse(soon.stdout)).toMatchObject({ vendor: 'liveperson', requestId: '7', windowClosed: false });
    const later = await run(cli, ['deadlines', '--registry', db, '--within', '6h'], { cwd: work, env });
    expect(later.stdout).toMatch(/^liveperson lp\s+7\s+window closes \S+ \(in 1[12] h\)/);
    expect(readFileSync(db).toString('latin1')).not.toContain('jane@example.com');
    // an install whose native build was skipped or held back: a usage error that says what to run, nothing sent
    const build = join(consumer, 'node_modules', 'better-sqlite3', 'build');
    renameSync(build, `${build}.away`);
    try {
      const unbuilt = await run(cli, ['create', '--vendor', 'mixpanel', '--ids', 'x', '--yes'], {
        cwd: work,
        env: {
          ...env,
          MIXPANEL_PROJECT_TOKEN: 'p',
          MIXPANEL_OAUTH_TOKEN: 'o',
          MIXPANEL_BASE_URL: 'http://127.0.0.1:9',
          PRIVACY_DELETIONS_ALLOW_HOSTS: '127.0.0.1',
        },
      }).catch((e: RunError) => e);
      expect((unbuilt as RunError).code).toBe(2);
      expect(unbuilt.stderr).toContain("better-sqlite3's native module is not built");
      expect(unbuilt.stderr).toContain('npm rebuild better-sqlite3');
      expect(unbuilt.stderr).not.toContain('Tried:');
    } finally {
      renameSync(`${build}.away`, build);
    }
  });

  it.each([
    ['--ignore-scripts', 'not built'],
    ['--omit=optional', 'not installed'],
  ])(
    'installed with %s (no native SQLite): the SDK and the CLI work, the registry commands say what to install',
    async (flag, why) => {
      const project = join(work, `bare${flag}`);
      mkdirSync(project);
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'bare', private: true, type: 'module' }));
      await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', flag, tarball], { cwd: project });
      const built = join(project, 'node_modules', 'better-sqlite3', 'build');
      expect(readdirSync(join(project, 'node_modules')).includes('better-sqlite3') && existsSync(built)).toBe(false);
      const srv = await scriptedServer((req, res) => {
        if (req.method === 'DELETE') res.writeHead(204).end();
        else if (req.method === 'POST') sendJson(res, 200, { status: 'ok', results: { task_id: 'bare-task-1' } });
        else sendJson(res, 200, { status: 'ok', results: { status: 'REVOKED' } });
      });
      const sdk = `import { createMixpanelClient } from 'privacy-deletions';
        const mp = createMixpanelClient({ projectToken: 'p', oauthToken: 'o', baseUrl: process.argv[1], rateLimit: false });
        console.log((await mp.cancelDeletion('t-1')).outcome);`;
      const cancelled = await run(process.execPath, ['--input-type=module', '-e', sdk, srv.url], { cwd: project });
      expect(cancelled.stdout.trim()).toBe('cancelled');
      const cli = join(project, 'node_modules', '.bin', 'privacy-deletions');
      const env = {
        ...process.env,
        MIXPANEL_PROJECT_TOKEN: 'p-1234',
        MIXPANEL_OAUTH_TOKEN: 'o-5678',
        MIXPANEL_BASE_URL: srv.url,
        PRIVACY_DELETIONS_ALLOW_HOSTS: '127.0.0.1',
        XDG_STATE_HOME: join(project, 'state'),
        PRIVACY_DELETIONS_HASH_SALT: 'bare-salt',
      };
      const cancel = await run(cli, ['cancel', '--vendor', 'mixpanel', 't-2', '--json'], { cwd: project, env });
      expect(JSON.parse(cancel.stdout)).toMatchObject({ outcome: 'cancelled', verified: true });
      const create = await run(cli, ['create', '--vendor', 'mixpanel', '--ids', 'x', '--yes', '--no-registry'], {
        cwd: project,
        env,
      });
      expect(JSON.parse(create.stdout)).toMatchObject({ requestId: 'bare-task-1' });
      const registry = await run(cli, ['deadlines'], { cwd: project, env }).catch((e: RunError) => e);
      expect((registry as RunError).code).toBe(2);
      expect(registry.stderr).toContain(
        why === 'not built' ? "better-sqlite3's native module is not built" : 'better-sqlite3 is not installed',
      );
      expect(registry.stderr).toContain(
        why === 'not built' ? 'npm rebuild better-sqlite3' : 'npm install better-sqlite3@12',
      );
    },
    180_000,
  );

  it('ships the config schema (for editors and the CLI) and the specs doctor --probe checks against', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--input-type=module', '-e', "console.log(import.meta.resolve('privacy-deletions/config.schema.json'))"],
      { cwd: consumer },
    );
    const schemaPath = new URL(stdout.trim()).pathname;
    expect(JSON.parse(readFileSync(schemaPath, 'utf8')).title).toBe('privacy-deletions configuration');
    const cli = join(consumer, 'node_modules', '.bin', 'privacy-deletions');
    const config = (accounts: unknown) => {
      writeFileSync(join(consumer, 'privacy-deletions.config.json'), JSON.stringify({ accounts }));
    };
    config({ a: { vendor: 'mixpanel', projectToken: 'inline', oauthToken: { env: 'X' } } });
    const inline = await run(cli, ['status', '--account', 'a', 'x'], { cwd: consumer }).catch((e: RunError) => e);
    expect((inline as RunError).code).toBe(2);
    expect(inline.stderr).toMatch(/privacy-deletions\.config\.json:1: accounts\.a\.projectToken: a secret written/);
    // a closed port: the read fails (exit 1), but the specs and Ajv load and find nothing to drift from
    config({
      a: { vendor: 'mixpanel', projectToken: { env: 'P' }, oauthToken: { env: 'O' }, baseUrl: 'http://127.0.0.1:9' },
    });
    const probe = await run(cli, ['doctor', '--probe', '--retries', '0'], {
      cwd: consumer,
      env: { ...process.env, P: 'p', O: 'o', PRIVACY_DELETIONS_ALLOW_HOSTS: '127.0.0.1' },
    }).catch((e: RunError) => e);
    expect(probe.stdout).toMatch(/a\s+authenticated read\s+FAIL\s+ConnectionError/);
    expect(probe.stdout).toContain('drift from the specs: none');
    expect((probe as RunError).code).toBe(1);
  });
});

/** esm-only ignores CommonJS resolution: attw's JSON lists those problems but the profile does not count them. */
function isIgnoredCjsProblem(problem: unknown): boolean {
  const p = problem as { kind?: string; resolutionKind?: string };
  return p.resolutionKind === 'node10' || p.resolutionKind === 'node16-cjs' || p.kind === 'CJSResolvesToESM';
}
