/**
 * Issue 18's findings, each through the CLI as a process against the sandbox or a fault server on loopback: secrets
 * never reach fixtures, config files and secret files that could redirect credentials are refused, a refusal of
 * credentials stops every phase, a subject that matches nothing is named, calendars cannot be injected, doctor
 * survives a hostile server, the registry opens only its own file, files are read bounded, temporary files are
 * never written through a planted link.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRegistry } from '../../src/registry/index.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { BIN, runProcess } from '../helpers/cli-process.js';
import { scriptedServer, sendJson } from '../helpers/http-server.js';

const dir = mkdtempSync(join(tmpdir(), 'pd-safety-'));
const SALT = 'safety-salt-7d1e';
let sandbox: Sandbox;
let n = 0;
const fresh = (name: string) => join(dir, `${n++}-${name}`);

beforeAll(async () => {
  sandbox = await startSandbox({ mixpanelRequestsPerSecond: 100_000 });
});
afterAll(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[], env: Record<string, string> = {}, cwd?: string) =>
  runProcess(process.execPath, [BIN, ...args], {
    env: { XDG_STATE_HOME: join(dir, 'state'), PRIVACY_DELETIONS_HASH_SALT: SALT, ...env },
    ...(cwd ? { cwd } : {}),
  });

const MIXPANEL_ENV = (base: string) => ({
  MIXPANEL_PROJECT_TOKEN: 'safety-project-1c2d',
  MIXPANEL_OAUTH_TOKEN: 'safety-oauth-3e4f',
  MIXPANEL_BASE_URL: base,
  MIXPANEL_TRAILING_SLASH: 'false',
});

/** A config file (0600, ours) holding `accounts`, and optionally more top-level settings. */
function configFile(accounts: unknown, more: Record<string, unknown> = {}, name = 'config.json') {
  const path = fresh(name);
  writeFileSync(path, JSON.stringify({ accounts, ...more }, null, 2), { mode: 0o600 });
  return path;
}

/** A registry holding the given LivePerson/Mixpanel requests, made through the package's registry entry. */
async function registryWith(
  requests: { vendor: 'mixpanel' | 'liveperson'; id: string; subjects: string[]; ticket?: string; actor?: string }[],
) {
  const path = fresh('registry.db');
  const r = openRegistry(path, { salt: SALT });
  for (const q of requests)
    await r.register(
      {
        vendor: q.vendor,
        account: q.vendor,
        requestId: q.id,
        requestedAt: new Date(Date.now() - 3_600_000).toISOString(),
        idType: q.vendor === 'mixpanel' ? 'distinct_id' : 'consumer',
        subjects: q.subjects,
      },
      { actor: q.actor ?? 'dpo', ...(q.ticket ? { ticket: q.ticket } : {}) },
    );
  await r.close();
  return path;
}

/** Every file under `folder`, as text. */
const filesIn = (folder: string) =>
  readdirSync(folder).map((f) => ({ file: f, text: readFileSync(join(folder, f), 'utf8') }));

describe('§1 doctor --record writes no secret into a fixture', () => {
  it.each([
    ['login', { login: { username: { env: 'LP_USER' }, password: { env: 'LP_PASSWORD' } } }],
    [
      'clientCredentials',
      { clientCredentials: { clientId: { env: 'LP_USER' }, clientSecret: { env: 'LP_PASSWORD' } } },
    ],
  ])('with %s credentials: no token, session value, csrf or wsuk in any fixture', async (_kind, auth) => {
    const before = new Set(sandbox.secretsIssued());
    const config = configFile({
      lp: {
        vendor: 'liveperson',
        siteId: '92186583',
        auth,
        baseUrl: `${sandbox.url}/liveperson`,
        sentinelBaseUrl: `${sandbox.url}/liveperson`,
        loginBaseUrl: `${sandbox.url}/liveperson`,
        quotaLedger: fresh('ledger.json'),
      },
    });
    const out = fresh('fixtures');
    const run = await cli(['doctor', '--config', config, '--record', out], {
      LP_USER: 'safety-user-5a6b',
      LP_PASSWORD: 'safety-password-7c8d',
    });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const issued = sandbox.secretsIssued().filter((s) => !before.has(s));
    expect(issued.length).toBeGreaterThan(0);
    const fixtures = filesIn(out);
    expect(fixtures.some((f) => /login|fetchToken/.test(f.file))).toBe(true);
    for (const { file, text } of fixtures)
      for (const secret of [...issued, 'safety-user-5a6b', 'safety-password-7c8d'])
        expect(text.includes(secret), `${file} holds ${secret}`).toBe(false);
  });

  it('a token fetched at run time and repeated in an error body is scrubbed from that body too', async () => {
    const token = 'echoed-token-9e8f7a6b5c4d';
    const srv = await scriptedServer((req, res) => {
      if (req.url?.includes('/app/token'))
        return sendJson(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 3600 });
      sendJson(res, 500, { message: `internal error while checking ${token}` });
    });
    const config = configFile({
      lp: {
        vendor: 'liveperson',
        siteId: '92186583',
        auth: { clientCredentials: { clientId: { env: 'LP_USER' }, clientSecret: { env: 'LP_PASSWORD' } } },
        baseUrl: srv.url,
        sentinelBaseUrl: srv.url,
        quotaLedger: fresh('ledger.json'),
      },
    });
    const out = fresh('fixtures');
    await cli(['doctor', '--config', config, '--record', out, '--retries', '0'], {
      LP_USER: 'u-1234',
      LP_PASSWORD: 'p-5678',
    });
    const fixtures = filesIn(out);
    expect(fixtures.some((f) => f.text.includes('internal error while checking'))).toBe(true);
    for (const { file, text } of fixtures) expect(text.includes(token), file).toBe(false);
  });
});

describe('§2 a config file cannot redirect credentials', () => {
  const mixpanelAccount = (baseUrl: string) => ({
    mp: { vendor: 'mixpanel', projectToken: { env: 'MP_T' }, oauthToken: { env: 'MP_O' }, baseUrl },
  });
  const secrets = { MP_T: 'cfg-project-1a1a', MP_O: 'cfg-oauth-2b2b' };

  it('a base URL that is not the vendor host is refused before anything is sent, unless allowed (then named every run)', async () => {
    const srv = await scriptedServer((_req, res) => sendJson(res, 200, { results: { status: 'PENDING' } }));
    const config = configFile(mixpanelAccount(srv.url));
    const refused = await cli(['status', '--config', config, '--account', 'mp', 'task-1'], {
      ...secrets,
      PRIVACY_DELETIONS_ALLOW_HOSTS: '',
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('accounts.mp.baseUrl sends account mp');
    expect(refused.stderr).toContain('--allow-host 127.0.0.1');
    expect(srv.seen).toHaveLength(0);
    const allowed = await cli(
      ['status', '--config', config, '--account', 'mp', 'task-1', '--allow-host', '127.0.0.1'],
      { ...secrets, PRIVACY_DELETIONS_ALLOW_HOSTS: '' },
    );
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stderr).toMatch(
      /warning: account mp sends its credentials to 127\.0\.0\.1:\d+ .*allowed by --allow-host/,
    );
    expect(srv.seen).toHaveLength(1);
  });

  it('a config file others may write, or that another user owns, is refused; so are duplicate keys', async () => {
    const config = configFile(mixpanelAccount('https://mixpanel.com/api/app'));
    chmodSync(config, 0o666);
    const writable = await cli(['status', '--config', config, '--account', 'mp', 'x'], secrets);
    expect(writable.code).toBe(2);
    expect(writable.stderr).toContain('can be written by anyone (mode 666)');
    if (process.getuid?.() === 0) {
      chmodSync(config, 0o644);
      chownSync(config, 65534, 65534);
      const foreign = await cli(['status', '--config', config, '--account', 'mp', 'x'], secrets);
      expect(foreign.code).toBe(2);
      expect(foreign.stderr).toContain('belongs to user 65534');
    }
    const twice = fresh('twice.json');
    writeFileSync(
      twice,
      '{\n  "accounts": {\n    "mp": {\n      "vendor": "mixpanel",\n      "baseUrl": "https://mixpanel.com/api/app",\n      "projectToken": {"env": "MP_T"},\n      "oauthToken": {"env": "MP_O"},\n      "baseUrl": "https://evil.example"\n    }\n  }\n}\n',
      { mode: 0o600 },
    );
    const dup = await cli(['status', '--config', twice, '--account', 'mp', 'x'], secrets);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toContain(`${twice}:8: accounts.mp.baseUrl: given twice (lines 5 and 8)`);
  });

  it('{file}: relative to the config folder, one line only, regular files only, bounded; readable by others is warned', async () => {
    const folder = fresh('cfgdir');
    mkdirSync(folder);
    writeFileSync(join(folder, 'oauth.txt'), 'file-oauth-3c3c\n', { mode: 0o644 });
    const srv = await scriptedServer((_req, res) => sendJson(res, 200, { results: { status: 'PENDING' } }));
    const account = (oauthFile: string) => ({
      mp: { vendor: 'mixpanel', projectToken: { env: 'MP_T' }, oauthToken: { file: oauthFile }, baseUrl: srv.url },
    });
    const write = (accounts: unknown) => {
      const path = join(folder, 'config.json');
      writeFileSync(path, JSON.stringify({ accounts }), { mode: 0o600 });
      return path;
    };
    // started elsewhere: the relative file is still the config folder's
    const ok = await cli(['status', '--config', write(account('oauth.txt')), '--account', 'mp', 't-1'], secrets, dir);
    expect(ok.code, ok.stderr).toBe(0);
    expect(srv.seen[0]?.headers.authorization).toBe('Bearer file-oauth-3c3c');
    expect(ok.stderr).toContain('can be read by anyone (mode 644)');

    writeFileSync(
      join(folder, 'key.pem'),
      '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----\n',
    );
    execFileSync('mkfifo', [join(folder, 'fifo')]);
    writeFileSync(join(folder, 'big.txt'), 'x'.repeat(20_000));
    for (const [file, why] of [
      ['key.pem', 'key.pem holds more than one line'],
      ['fifo', 'is not a regular file (a pipe)'],
      ['big.txt', 'is larger than 16 KiB'],
      ['/proc/self/environ', 'is a proc file'],
    ] as const) {
      const run = await cli(['status', '--config', write(account(file)), '--account', 'mp', 't-1'], secrets);
      expect(run.code, file).toBe(2);
      expect(run.stderr, file).toContain(why);
    }
    expect(srv.seen).toHaveLength(1);
  });
});

describe('§3 a refusal of credentials stops every phase of every command', () => {
  it('cancel: after a 401 on a verification read, no other read is sent; exit 1 and the rest reported', async () => {
    const srv = await scriptedServer((req, res) => {
      if (req.method === 'DELETE') res.writeHead(204).end();
      else sendJson(res, 401, { status: 'error', error: 'OAuth token expired or revoked' });
    });
    const ids = Array.from({ length: 20 }, (_, i) => `00000000-0000-4000-8000-0000000000${String(i).padStart(2, '0')}`);
    const run = await cli(
      ['cancel', '--vendor', 'mixpanel', '--concurrency', '1', '--json', ...ids],
      MIXPANEL_ENV(srv.url),
    );
    expect(run.code).toBe(1);
    expect(srv.seen.filter((s) => s.method === 'DELETE')).toHaveLength(20);
    expect(srv.seen.filter((s) => s.method === 'GET')).toHaveLength(1);
    const receipts = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(receipts.filter((r) => r.outcome === 'unconfirmed')).toHaveLength(20);
    expect(run.stderr).toMatch(/mixpanel: stopped sending after AuthenticationError/);
  });

  it('cancel --subject --split: after a 401 on the plain cancels, the split phase sends nothing', async () => {
    const srv = await scriptedServer((_req, res) => sendJson(res, 401, { status: 'error', error: 'revoked' }));
    const registry = await registryWith([
      { vendor: 'mixpanel', id: 'task-alone', subjects: ['ann@example.com'] },
      { vendor: 'mixpanel', id: 'task-shared', subjects: ['ann@example.com', 'ben@example.com'] },
    ]);
    const run = await cli(
      ['cancel', '--registry', registry, '--subject', 'ann@example.com', '--split', '--journal', fresh('split.jsonl')],
      MIXPANEL_ENV(srv.url),
    );
    expect(run.code).toBe(1);
    expect(srv.seen.map((s) => s.method)).toEqual(['DELETE']);
    expect(run.stdout).toMatch(/NOT SPLIT mixpanel mixpanel task-shared: .*AccountHaltedError/);
  });

  it('deadlines --refresh: one read meets the 401, the others are not sent; exit 1', async () => {
    const srv = await scriptedServer((_req, res) => sendJson(res, 401, { status: 'error', error: 'revoked' }));
    const registry = await registryWith(
      Array.from({ length: 15 }, (_, i) => ({ vendor: 'mixpanel' as const, id: `task-${i}`, subjects: [`s${i}`] })),
    );
    const run = await cli(['deadlines', '--registry', registry, '--refresh'], MIXPANEL_ENV(srv.url));
    expect(run.code).toBe(1);
    expect(srv.seen).toHaveLength(1);
    expect(run.stderr).toContain('14 more status read(s) of the account were not sent');
    expect(run.stderr).toContain('15 status read(s) failed or were not sent');
  });

  it('registry import (Mixpanel): one read meets the 401, the others are not sent; exit 1', async () => {
    const srv = await scriptedServer((_req, res) => sendJson(res, 401, { status: 'error', error: 'revoked' }));
    const input = fresh('ids.txt');
    writeFileSync(input, Array.from({ length: 25 }, (_, i) => `import-${i}`).join('\n'));
    const run = await cli(
      ['registry', 'import', '--vendor', 'mixpanel', '--input', input, '--registry', fresh('r.db')],
      MIXPANEL_ENV(srv.url),
    );
    expect(run.code).toBe(1);
    expect(srv.seen).toHaveLength(1);
    expect(run.stderr).toContain('24 more tracking id(s) were not read');
  });
});

describe('§4 a subject that matches nothing', () => {
  it('is named by where it was given (never by its id) and the run exits 1', async () => {
    const registry = await registryWith([{ vendor: 'mixpanel', id: 'task-jane', subjects: ['jane@example.com'] }]);
    const subjects = fresh('subjects.txt');
    writeFileSync(subjects, '# people\njane@example.com\n\nbob@example.com\n');
    const run = await cli(
      ['cancel', '--registry', registry, '--subject', 'jnae@example.com', '--subjects-file', subjects, '--dry-run'],
      MIXPANEL_ENV('https://mixpanel.com/api/app'),
    );
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain('no open registered request holds the subject given as --subject #1');
    expect(run.stderr).toContain(`no open registered request holds the subject given as ${subjects}:4`);
    expect(run.stderr).not.toContain(`${subjects}:2`);
    expect(run.stdout + run.stderr).not.toMatch(/jnae|bob@/);
  });
});

describe('§5 deadlines --ics', () => {
  it('escapes and folds what people typed, writes 0600, never over a file or through a link unless asked', async () => {
    const evil = 'T-1\r\nATTENDEE:mailto:evil@example.com\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:fake; a, b\\';
    const registry = await registryWith([
      { vendor: 'liveperson', id: '7001', subjects: ['a'], ticket: evil, actor: `dpo\nORGANIZER:x${'é'.repeat(60)}` },
    ]);
    const ics = fresh('deadlines.ics');
    const run = await cli(['deadlines', '--registry', registry, '--ics', ics]);
    expect(run.code, run.stderr).toBe(0);
    const text = readFileSync(ics, 'utf8');
    const lines = text.split('\r\n');
    expect(lines.filter((l) => l === 'BEGIN:VEVENT')).toHaveLength(1);
    expect(lines.some((l) => /^(ATTENDEE|ORGANIZER|SUMMARY:fake)/.test(l))).toBe(false);
    expect(text).not.toMatch(/[^\r]\n|\r[^\n]/); // no bare line break anywhere
    for (const l of lines) expect(Buffer.byteLength(l)).toBeLessThanOrEqual(75);
    const unfolded = text.replace(/\r\n /g, '');
    expect(unfolded).toContain(
      'ticket T-1\\nATTENDEE:mailto:evil@example.com\\nEND:VEVENT\\nBEGIN:VEVENT\\nSUMMARY:fake\\; a\\, b\\\\',
    );
    expect(statSync(ics).mode & 0o777).toBe(0o600);

    const again = await cli(['deadlines', '--registry', registry, '--ics', ics]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('exists; give --force');
    expect((await cli(['deadlines', '--registry', registry, '--ics', ics, '--force'])).code).toBe(0);

    const victim = fresh('victim.txt');
    writeFileSync(victim, 'keep me');
    const link = fresh('link.ics');
    symlinkSync(victim, link);
    const through = await cli(['deadlines', '--registry', registry, '--ics', link, '--force']);
    expect(through.code).toBe(2);
    expect(through.stderr).toContain('is a symbolic link');
    expect(readFileSync(victim, 'utf8')).toBe('keep me');
  });
});

describe('§6 doctor against a hostile server', () => {
  it('an endless answer is recorded only up to the cap (it used to be read whole)', async () => {
    let sent = 0;
    const srv = await scriptedServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(1 << 16, 0x20);
      const pump = (): void => {
        while (!res.destroyed && sent < 4 * 1024 ** 3) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
    const config = configFile({
      mp: { vendor: 'mixpanel', projectToken: { env: 'MP_T' }, oauthToken: { env: 'MP_O' }, baseUrl: srv.url },
    });
    const out = fresh('fixtures');
    const run = await cli(['doctor', '--config', config, '--record', out, '--retries', '0', '--timeout', '8000'], {
      MP_T: 'h-project-1234',
      MP_O: 'h-oauth-5678',
    });
    expect(run.code).toBe(1);
    // the SDK's 1 MiB cap and the recorder's: what crossed loopback stays within socket buffers of it
    expect(sent).toBeLessThan(64 * 1024 * 1024);
    expect(run.stdout, run.stderr).toMatch(/mp\s+authenticated read\s+FAIL/);
  }, 30_000);

  it('--probe: 200,000 drifting items are counted and the first 50 shown, the report intact', async () => {
    const body = `[${Array.from({ length: 200_000 }, () => '1').join(',')}]`;
    const srv = await scriptedServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    const config = configFile({
      lp: {
        vendor: 'liveperson',
        siteId: '92186583',
        auth: { bearer: { env: 'LP_B' } },
        baseUrl: srv.url,
        quotaLedger: fresh('ledger.json'),
      },
    });
    const run = await cli(['doctor', '--config', config, '--probe'], { LP_B: 'hostile-bearer-1234' });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('drift from the specs: 200000');
    expect(run.stdout).toContain('… and 199950 more (the first 50 are shown)');
    expect(run.stderr).not.toContain('RangeError');
  }, 60_000);
});

describe('§7 the registry opens only its own file', () => {
  const deadlines = (path: string) => cli(['deadlines', '--registry', path]);

  it('a new registry and its WAL and SHM files are owner-only', async () => {
    const path = fresh('new.db');
    const run = await deadlines(path);
    expect(run.code, run.stderr).toBe(0);
    for (const f of [path, `${path}-wal`, `${path}-shm`].filter(existsSync))
      expect(statSync(f).mode & 0o777, f).toBe(0o600);
    expect(existsSync(path)).toBe(true);
  });

  it('refuses a symbolic link, another program’s SQLite file (left as it was), a planted trigger and a URI', async () => {
    const target = fresh('target.db');
    expect((await deadlines(target)).code).toBe(0);
    const link = fresh('link.db');
    symlinkSync(target, link);
    const linked = await deadlines(link);
    expect(linked.code).toBe(2);
    expect(linked.stderr).toContain('is a symbolic link');

    const other = fresh('other.db');
    const db = new Database(other);
    db.exec('CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES (1)');
    db.close();
    const before = readFileSync(other);
    const taken = await deadlines(other);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain('not a registry');
    expect(readFileSync(other).equals(before)).toBe(true);
    expect(existsSync(`${other}-wal`)).toBe(false);

    const planted = fresh('planted.db');
    await openRegistry(planted, { salt: SALT }).close();
    const p = new Database(planted);
    p.exec(
      "CREATE TRIGGER widen AFTER UPDATE ON requests BEGIN UPDATE requests SET state = 'cancelled' WHERE vendor = 'victim'; END",
    );
    p.close();
    const trig = await deadlines(planted);
    expect(trig.code).toBe(2);
    expect(trig.stderr).toContain('trigger "widen"');

    const uri = await cli(['deadlines', '--registry', `file:${fresh('mem')}?mode=memory`], {}, dir);
    expect(uri.code).toBe(2);
    expect(uri.stderr).toContain('not a SQLite URI');
    expect(readdirSync(dir).some((f) => f.startsWith('file:'))).toBe(false);
  });
});

describe('§8 secret and list files are read bounded', () => {
  it('a FIFO, a device and an oversized file are refused by name, quickly', async () => {
    const fifo = fresh('subjects.fifo');
    execFileSync('mkfifo', [fifo]);
    const big = fresh('big.txt');
    execFileSync('truncate', ['-s', '600M', big]); // sparse: 600 MB to read, no disk used
    const registry = await registryWith([]);
    for (const [file, why] of [
      [fifo, 'is not a regular file (a pipe)'],
      ['/dev/zero', 'is not a regular file (a device)'],
      [big, 'is larger than 64 MiB'],
    ] as const) {
      const started = Date.now();
      const run = await cli(['cancel', '--registry', registry, '--subjects-file', file, '--dry-run']);
      expect(run.code, file).toBe(2);
      expect(run.stderr, file).toContain(`the subjects file ${file} ${why}`);
      expect(Date.now() - started).toBeLessThan(10_000);
    }
    const secret = await cli(['status', '--vendor', 'mixpanel', 't-1'], {
      MIXPANEL_PROJECT_TOKEN: 'p-1234',
      MIXPANEL_OAUTH_TOKEN_FILE: '/dev/zero',
    });
    expect(secret.code).toBe(2);
    expect(secret.stderr).toContain('/dev/zero is a dev file');
    const config = await cli(['status', '--config', fifo, '--account', 'x', 't-1']);
    expect(config.code).toBe(2);
    expect(config.stderr).toContain(`the config file ${fifo} is not a regular file (a pipe)`);
  });
});

describe('§9 the quota ledger is never written through a planted link', () => {
  it('a symlink under the temporary name the old code used leaves its target alone', async () => {
    const folder = fresh('ledger');
    mkdirSync(folder);
    const ledger = join(folder, 'quota.json');
    const victim = fresh('victim.txt');
    writeFileSync(victim, 'precious');
    const run = await runProcess(
      process.execPath,
      [
        BIN,
        'create',
        '--vendor',
        'liveperson',
        '--type',
        'consumer',
        '--ids',
        'x@example.com',
        '--yes',
        '--no-registry',
      ],
      {
        env: {
          LIVEPERSON_SITE_ID: '92186583',
          LIVEPERSON_BEARER: 'ledger-bearer-1234',
          LIVEPERSON_BASE_URL: `${sandbox.url}/liveperson`,
          LIVEPERSON_QUOTA_LEDGER: ledger,
        },
        onSpawn: (child) => symlinkSync(victim, `${ledger}.${child.pid}.tmp`),
      },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(JSON.parse(readFileSync(ledger, 'utf8'))).toMatchObject({
      [`92186583:${new Date().toISOString().slice(0, 7)}`]: 1,
    });
    expect(statSync(ledger).mode & 0o777).toBe(0o600);
    expect(lstatSync(ledger).isSymbolicLink()).toBe(false);
  });
});

describe('§12 config validation', () => {
  const lp = (extra: Record<string, unknown>) => ({
    lp: {
      vendor: 'liveperson',
      siteId: '92186583',
      auth: { bearer: { env: 'LP_B' } },
      baseUrl: `${sandbox.url}/liveperson`,
      ...extra,
    },
  });

  it('a cancel window beyond 90 days is a usage error naming the line; a byte-order mark is fine; deep nesting is named', async () => {
    const huge = configFile(lp({ cancelWindowDays: 200_000_000 }));
    const big = await cli(['status', '--config', huge, '--account', 'lp', '7'], { LP_B: 'b-1234' });
    expect(big.code).toBe(2);
    expect(big.stderr).toMatch(/:\d+: accounts\.lp\.cancelWindowDays: must be <= 90/);

    const bom = fresh('bom.json');
    writeFileSync(bom, `\uFEFF${JSON.stringify({ accounts: lp({}) })}`, { mode: 0o600 });
    const withBom = await cli(['status', '--config', bom, '--account', 'lp', '99999'], { LP_B: 'b-1234' });
    expect(withBom.stderr).not.toContain('InvalidSymbol');
    expect(withBom.stdout).toContain('99999');

    const deep = fresh('deep.json');
    writeFileSync(deep, `{"accounts": {"a": {"description": ${'['.repeat(100_000)}${']'.repeat(100_000)}}}}`, {
      mode: 0o600,
    });
    const nested = await cli(['status', '--config', deep, '--account', 'a', '7']);
    expect(nested.code).toBe(2);
    expect(nested.stderr).toContain(`${deep}:1: nested deeper than 32 levels`);
  });
});
