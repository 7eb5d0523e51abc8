/**
 * The real built binary (dist/src/cli/bin.js) in real processes, against the stateful sandbox reached through
 * `prism proxy --errors`, so any drift between the sandbox and the specs fails these tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
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
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAIN_START, lineDigest } from '../../src/cli/store/journal.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { ALLOW_LOOPBACK, BIN, type Run, runProcess, withoutLoopbackWarnings } from '../helpers/cli-process.js';
import { scriptedServer, sendJson } from '../helpers/http-server.js';
import { type SandboxBehindPrism, startSandboxBehindPrism } from '../helpers/sandbox-behind-prism.js';

const root = resolve(import.meta.dirname, '../..');
const DAY = 86_400_000;
const ENV = {
  MIXPANEL_PROJECT_TOKEN: 'cli-project-token-0c1d2e',
  MIXPANEL_OAUTH_TOKEN: 'cli-oauth-secret-3f4a5b',
  LIVEPERSON_SITE_ID: '92186583',
  LIVEPERSON_BEARER: 'cli-lp-bearer-6c7d8e',
  // The spec's paths, so that the Prism proxy checks every request against the spec (the sandbox answers both forms;
  // test/cli/accounts.test.ts runs the default, slash form against it directly).
  MIXPANEL_TRAILING_SLASH: 'false',
};
const REGISTRY_SALT = 'cli-registry-salt-4e1f';
let sandbox: Sandbox;
let env: SandboxBehindPrism | undefined;
let mpUrl = '';
let lpUrl = '';
const dir = mkdtempSync(join(tmpdir(), 'pd-cli-'));

beforeAll(async () => {
  env = await startSandboxBehindPrism({ mixpanelRequestsPerSecond: 100_000, recordRequests: true });
  ({ sandbox, mixpanelUrl: mpUrl, livePersonUrl: lpUrl } = env);
}, 90_000);
afterAll(async () => {
  await env?.close();
  rmSync(dir, { recursive: true, force: true });
});

function cli(
  args: string[],
  opts: { env?: Record<string, string>; onSpawn?: (c: ChildProcess) => void; fileSizeLimitKiB?: number } = {},
): Promise<Run> {
  // `ulimit -f` makes writes past the limit fail with EFBIG (Node ignores SIGXFSZ): a full disk, for real.
  const [command, argv] = opts.fileSizeLimitKiB
    ? ['bash', ['-c', `ulimit -f ${opts.fileSizeLimitKiB} && exec "$0" "$@"`, process.execPath, BIN, ...args]]
    : [process.execPath, [BIN, ...args]];
  return withoutLoopbackWarnings(
    runProcess(command, argv, {
      env: {
        ...ENV,
        MIXPANEL_BASE_URL: mpUrl,
        LIVEPERSON_BASE_URL: lpUrl,
        XDG_STATE_HOME: join(dir, 'state'), // the LivePerson quota ledger and the registry, kept out of the real home
        // create records in the registry, and the other commands tell it what they learn (its salt is the journal's)
        PRIVACY_DELETIONS_HASH_SALT: REGISTRY_SALT,
        ...opts.env,
      },
      ...(opts.onSpawn ? { onSpawn: opts.onSpawn } : {}),
    }),
  );
}
/** Runs the CLI on a real pseudo-terminal (util-linux `script`), typing `typed` at it. */
function cliOnTerminal(args: string[], typed: string): Promise<Run> {
  const quote = (a: string) => `'${a.replaceAll("'", "'\\''")}'`;
  return new Promise((res) => {
    const child = spawn('script', ['-qec', [process.execPath, BIN, ...args].map(quote).join(' '), '/dev/null'], {
      env: {
        PATH: process.env.PATH ?? '',
        ...ALLOW_LOOPBACK,
        ...ENV,
        MIXPANEL_BASE_URL: mpUrl,
        LIVEPERSON_BASE_URL: lpUrl,
        XDG_STATE_HOME: join(dir, 'state'),
        PRIVACY_DELETIONS_HASH_SALT: REGISTRY_SALT,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stdin.end(typed);
    child.on('close', (code) => res({ code, stdout, stderr: '' }));
  });
}
/** Writes a CSV input with one `mixpanel,<id>` row per id; returns it and a journal path beside it. */
function mixpanelInput(name: string, ids: string[]) {
  const input = join(dir, `${name}.csv`);
  writeFileSync(input, ids.map((id) => `mixpanel,${id}`).join('\n'));
  return { input, journal: join(dir, `${name}.jsonl`) };
}
/** How many final records a journal holds so far. */
const eventsIn = (journal: string, event: string) =>
  existsSync(journal) ? readFileSync(journal, 'utf8').split(`"event":"${event}"`).length - 1 : 0;
/** An onSpawn hook that runs `then(child)` once, when the journal holds `n` final records. */
function whenFinals(journal: string, n: number, then: (child: ChildProcess) => void, everyMs = 5) {
  return whenEvents(journal, 'final', n, then, everyMs);
}
/** An onSpawn hook that runs `then(child)` once, when the journal holds `n` records of `event`. */
function whenEvents(journal: string, event: string, n: number, then: (child: ChildProcess) => void, everyMs = 5) {
  return (child: ChildProcess) => {
    const timer = setInterval(() => {
      if (eventsIn(journal, event) < n) return;
      clearInterval(timer);
      then(child);
    }, everyMs);
    child.on('exit', () => clearInterval(timer));
  };
}
const jsonLines = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const expectNoSecrets = (...texts: string[]) => {
  for (const t of texts)
    for (const v of [ENV.MIXPANEL_PROJECT_TOKEN, ENV.MIXPANEL_OAUTH_TOKEN, ENV.LIVEPERSON_BEARER])
      expect(t).not.toContain(v);
};
const FAST = ['--rate-limit', '2000', '--concurrency', '16'];
/** The head digest a run printed at its end. */
const headOf = (stderr: string) => /journal .* head ([0-9a-f]{32}) \(keep it/.exec(stderr)?.[1] ?? '';

describe('privacy-deletions CLI', () => {
  it('--version, --help, and a bad flag value named in one line', async () => {
    const v = await cli(['--version']);
    expect(v.stdout.trim()).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
    const h = await cli(['cancel', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('--dry-run');
    // the variables it reads, in the order LivePerson credentials are preferred, and the exit codes
    expect(h.stdout).toMatch(/LIVEPERSON_CLIENT_ID[\s\S]*LIVEPERSON_USERNAME[\s\S]*LIVEPERSON_BEARER[\s\S]*OAuth 1\.0/);
    expect(h.stdout).toContain('Exit codes: 0 all ok');
    // a bad flag value is named in one line with a pointer to --help, not buried under the whole help text
    const bad = await cli(['cancel', '--vendor', 'mixpanel', 'x', '--concurrency', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual([
      "error: option '--concurrency <n>' argument '0' is invalid. --concurrency must be a positive integer",
      '(add --help for usage)',
    ]);
  });

  it('single cancel per vendor: cancelled and verified, exit 0', async () => {
    const [mp] = sandbox.seed('mixpanel', 1);
    const [lp] = sandbox.seed('liveperson', 1);
    const a = await cli(['cancel', '--vendor', 'mixpanel', mp as string, '--json']);
    const b = await cli(['cancel', '--vendor', 'liveperson', lp as string, '--json']);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(jsonLines(a.stdout)[0]).toMatchObject({
      vendor: 'mixpanel',
      requestId: mp,
      outcome: 'cancelled',
      verified: true,
      vendorStatus: 'REVOKED',
    });
    expect(jsonLines(b.stdout)[0]).toMatchObject({
      vendor: 'liveperson',
      requestId: lp,
      outcome: 'cancelled',
      verified: true,
      vendorStatus: 'CANCELED',
    });
    expectNoSecrets(a.stdout, a.stderr, b.stdout, b.stderr);
  });

  it('bulk: 2000 ids with every outcome, JSON schema, exit 1, journal without secrets', async () => {
    const fresh = sandbox.seed('mixpanel', 600);
    const cancelledBefore = [...sandbox.seed('mixpanel', 100), ...sandbox.seed('liveperson', 100)];
    const earlier = await cli(['cancel', '--vendor', 'mixpanel', ...cancelledBefore.slice(0, 100), ...FAST]);
    const earlierLp = await cli(['cancel', '--vendor', 'liveperson', ...cancelledBefore.slice(100), ...FAST]);
    expect([earlier.code, earlierLp.code]).toEqual([0, 0]);
    const started = sandbox.seed('mixpanel', 300, 1.5 * DAY);
    const lpFresh = sandbox.seed('liveperson', 400);
    const lpFinal = sandbox.seed('liveperson', 300, 5.5 * DAY);
    const unknown = Array.from({ length: 200 }, (_, i) => String(900_000 + i));
    const rows = [
      ...fresh.map((id) => `mixpanel,${id}`),
      ...started.map((id) => `mixpanel,${id}`),
      ...lpFresh.map((id) => `liveperson,${id}`),
      ...lpFinal.map((id) => `liveperson,${id}`),
      ...unknown.map((id) => `liveperson,${id}`),
      ...cancelledBefore.map((id, i) => `${i < 100 ? 'mixpanel' : 'liveperson'},${id}`),
    ];
    const input = join(dir, 'bulk.csv');
    writeFileSync(input, `vendor,request_id\n${rows.join('\n')}\n`);
    const journal = join(dir, 'bulk.jsonl');
    const r = await cli(['cancel', '--input', input, '--json', '--journal', journal, ...FAST]);
    expect(r.code).toBe(1);
    const results = jsonLines(r.stdout);
    expect(results).toHaveLength(2000);
    const count = (o: string) => results.filter((x) => x.outcome === o).length;
    expect({
      cancelled: count('cancelled'),
      already_cancelled: count('already_cancelled'),
      too_late: count('too_late'),
      not_found: count('not_found'),
    }).toEqual({ cancelled: 1000, already_cancelled: 200, too_late: 600, not_found: 200 });
    for (const x of results) {
      expect(Object.keys(x)).toEqual(
        expect.arrayContaining(['line', 'vendor', 'requestId', 'outcome', 'detail', 'at']),
      );
      expect(typeof x.line).toBe('number');
    }
    expect(results.filter((x) => x.outcome === 'cancelled').every((x) => x.verified === true)).toBe(true);
    const journalText = readFileSync(journal, 'utf8');
    expect(jsonLines(journalText).filter((j) => j.event === 'final')).toHaveLength(2000);
    expect(jsonLines(journalText)[0]).toMatchObject({
      event: 'run-start',
      requests: 2000,
      input: { file: input, sha256: createHash('sha256').update(readFileSync(input)).digest('hex') },
    });
    expectNoSecrets(r.stdout, r.stderr, journalText);
  }, 120_000);

  it('malformed input: every bad line reported with its number, nothing sent, exit 2; --skip-invalid sends the rest', async () => {
    const [ok] = sandbox.seed('mixpanel', 1);
    const input = join(dir, 'bad.jsonl');
    writeFileSync(
      input,
      [
        JSON.stringify({ vendor: 'mixpanel', requestId: ok }),
        JSON.stringify({ vendor: 'amplitude', requestId: 'x' }),
        '{not json',
        JSON.stringify({ vendor: 'mixpanel', requestId: '..' }),
        JSON.stringify({ vendor: 'liveperson', requestId: 'abc' }),
      ].join('\n'),
    );
    const before = sandbox.stats().requests;
    const r = await cli(['cancel', '--input', input]);
    expect(r.code).toBe(2);
    for (const line of [2, 3, 4, 5]) expect(r.stderr).toContain(`${input}:${line}:`);
    expect(r.stderr).not.toContain(`${input}:1:`);
    expect(r.stderr).toMatch(/4 invalid line\(s\); nothing was sent/);
    expect(sandbox.stats().requests).toBe(before);
    const s = await cli(['cancel', '--input', input, '--skip-invalid', '--json']);
    expect(s.code).toBe(0);
    expect(jsonLines(s.stdout)).toEqual([expect.objectContaining({ requestId: ok, outcome: 'cancelled' })]);
  });

  it('--dry-run prints the exact requests with the token redacted and sends nothing', async () => {
    const before = sandbox.stats().requests;
    const ids = ['task-a', 'task-b', 'task-c', 'task-d', 'task-e', 'task-f'];
    const started = performance.now();
    const r = await cli(['cancel', '--vendor', 'mixpanel', ...ids, '--dry-run']);
    // nothing is sent, so the 1 req/s Mixpanel limiter must not pace a dry run (it would take ≥ 5 s)
    expect(performance.now() - started).toBeLessThan(3000);
    expect(r.code).toBe(0);
    expect(r.stdout.match(/^DELETE /gm)).toHaveLength(6);
    expect(r.stdout).toContain(`DELETE ${mpUrl}/data-deletions/v3.0/task-a?token=[REDACTED]`);
    expect(r.stdout).toContain(`DELETE ${mpUrl}/data-deletions/v3.0/task-b?token=[REDACTED]`);
    expect(sandbox.stats().requests).toBe(before);
    expectNoSecrets(r.stdout, r.stderr);
  });

  it('usage errors exit 2 (no ids, bad id, credentials, files that cannot be opened, create without --yes off a terminal); create at both vendors', async () => {
    expect((await cli(['cancel', '--vendor', 'mixpanel'])).code).toBe(2);
    expect((await cli(['cancel', '--vendor', 'liveperson', 'abc'])).code).toBe(2);
    const noCreds = await cli(['cancel', '--vendor', 'mixpanel', 'x'], { env: { MIXPANEL_OAUTH_TOKEN: '' } });
    expect(noCreds.code).toBe(2);
    expect(noCreds.stderr).toMatch(/MIXPANEL_OAUTH_TOKEN/);
    // secrets from files (Docker/Kubernetes secrets): used, never printed; a missing file is a usage error
    const [viaFile] = sandbox.seed('mixpanel', 1);
    const tokenFile = join(dir, 'oauth-token');
    writeFileSync(tokenFile, 'cli-oauth-from-file-1a2b3c\n');
    const fromFile = await cli(['cancel', '--vendor', 'mixpanel', viaFile as string, '--json'], {
      env: { MIXPANEL_OAUTH_TOKEN: '', MIXPANEL_OAUTH_TOKEN_FILE: tokenFile },
    });
    expect(fromFile.code).toBe(0);
    expect(jsonLines(fromFile.stdout)[0]).toMatchObject({ requestId: viaFile, outcome: 'cancelled' });
    expect(fromFile.stdout + fromFile.stderr).not.toContain('cli-oauth-from-file-1a2b3c');
    const missing = await cli(['cancel', '--vendor', 'mixpanel', 'x'], {
      env: { MIXPANEL_OAUTH_TOKEN: '', MIXPANEL_OAUTH_TOKEN_FILE: join(dir, 'no-such-file') },
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /cannot open MIXPANEL_OAUTH_TOKEN_FILE .*no-such-file: no such file or folder \(ENOENT\)/,
    );
    // files named on the command line that cannot be opened: usage errors naming the file, nothing sent
    const sentBefore = sandbox.stats().requests;
    const noInput = await cli(['cancel', '--input', join(dir, 'no-such-input.csv')]);
    expect(noInput).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(
        /cannot open the input file .*no-such-input\.csv: no such file or folder \(ENOENT\)/,
      ),
    });
    const folderInput = await cli(['status', '--input', dir]);
    expect(folderInput).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/cannot open the input file .*: it is a folder \(EISDIR\)/),
    });
    const noJournalFolder = join(dir, 'no-such-folder', 'run.jsonl');
    const journalInMissingFolder = await cli(['cancel', '--vendor', 'mixpanel', 'x', '--journal', noJournalFolder]);
    expect(journalInMissingFolder).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/cannot open the journal .*run\.jsonl: no such file or folder/),
    });
    const journalIsFolder = await cli(['cancel', '--vendor', 'mixpanel', 'x', '--journal', dir]);
    expect(journalIsFolder).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/cannot open the journal .*: it is a folder \(EISDIR\)/),
    });
    expect(existsSync(`${dir}.lock`)).toBe(false); // the lock taken before the open failed was released
    const noJournal = await cli(['report', '--journal', noJournalFolder]);
    expect(noJournal).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/cannot open the journal .*run\.jsonl: no such file/),
    });
    expect(sandbox.stats().requests).toBe(sentBefore);
    const both = await cli(['cancel', '--vendor', 'mixpanel', 'x'], { env: { MIXPANEL_OAUTH_TOKEN_FILE: tokenFile } });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('set MIXPANEL_OAUTH_TOKEN or MIXPANEL_OAUTH_TOKEN_FILE, not both');
    const before = sandbox.stats().requests;
    const create = await cli(['create', '--vendor', 'mixpanel', '--ids', 'u1']);
    expect(create.code).toBe(2);
    expect(create.stderr).toMatch(/--yes/);
    expect(sandbox.stats().requests).toBe(before);
    const created = await cli(['create', '--vendor', 'liveperson', '--type', 'consumer', '--ids', 'c-1', '--yes']);
    expect(created.code).toBe(0);
    expect(jsonLines(created.stdout)[0]).toMatchObject({ vendor: 'liveperson' });
    expect(created.stderr).toMatch(/LivePerson creates in \d{4}-\d{2} \(local count\): 1 of 100, 99 left/);
    const ledgerFile = join(dir, 'state', 'privacy-deletions', 'liveperson-quota.json');
    expect(Object.values(JSON.parse(readFileSync(ledgerFile, 'utf8')))).toEqual([1]);
    expect(statSync(ledgerFile).mode & 0o777).toBe(0o600);
    // a create past the month's quota is refused before it is sent
    const requestsBefore = sandbox.stats().requests;
    const past = await cli(['create', '--vendor', 'liveperson', '--type', 'consumer', '--ids', 'c-2', '--yes'], {
      env: { LIVEPERSON_MONTHLY_QUOTA: '1' },
    });
    expect(past.code).toBe(1);
    expect(past.stderr).toMatch(/MonthlyQuotaError: .*1 of 1 create requests already sent .*not sent/);
    expect(sandbox.stats().requests).toBe(requestsBefore);
    // Mixpanel: an id that already has a running task is named and left out, the rest are scheduled
    const firstTask = await cli(['create', '--vendor', 'mixpanel', '--ids', 'subject-dup-1', '--yes']);
    expect(firstTask.code).toBe(0);
    const overlap = await cli(['create', '--vendor', 'mixpanel', '--ids', 'subject-dup-1,subject-new-2', '--yes']);
    expect(overlap.code).toBe(0);
    const result = jsonLines(overlap.stdout)[0];
    expect(result).toMatchObject({
      vendor: 'mixpanel',
      alreadyScheduled: { distinctIds: ['subject-dup-1'], taskIds: [jsonLines(firstTask.stdout)[0]?.requestId] },
    });
    expect(result?.requestId).not.toBe(jsonLines(firstTask.stdout)[0]?.requestId);
    expect(overlap.stderr).toContain('1 id(s) already had a running deletion task');
  });

  it('on a terminal: create asks and sends only after yes; cancel draws a live progress bar', async () => {
    const before = sandbox.stats().requests;
    const no = await cliOnTerminal(['create', '--vendor', 'mixpanel', '--ids', 'user-tty-1'], 'n\n');
    expect(no.stdout).toContain('Create a mixpanel deletion request for 1 id(s)? [y/N]');
    expect(no.stdout).toContain('not confirmed; nothing was sent');
    expect(no.code).toBe(2);
    expect(sandbox.stats().requests).toBe(before);
    const yes = await cliOnTerminal(['create', '--vendor', 'mixpanel', '--ids', 'user-tty-2'], 'y\n');
    expect(yes.code).toBe(0);
    expect(yes.stdout).toMatch(/\{"vendor":"mixpanel","account":"mixpanel","requestId":"[0-9a-f-]{36}"\}/);

    const { input } = mixpanelInput('tty', sandbox.seed('mixpanel', 30));
    const bar = await cliOnTerminal(['cancel', '--input', input, '--rate-limit', '40', '--no-verify'], '');
    expect(bar.code).toBe(0);
    expect(bar.stdout).toMatch(/LINE +VENDOR +REQUEST ID +OUTCOME/);
    // the bar: count of total, rate and ETA, redrawn as results arrive
    const frames = bar.stdout.match(/\d+\/30 \| [\d.]+\/s \| ETA \d+s/g) ?? [];
    expect(frames.length).toBeGreaterThan(1);
    expectNoSecrets(no.stdout, yes.stdout, bar.stdout);
  }, 30_000);

  it('status and list show the vendor status words and what a cancel would do now', async () => {
    const [mp] = sandbox.seed('mixpanel', 1, 1.5 * DAY);
    const [lp] = sandbox.seed('liveperson', 1);
    const a = await cli(['status', '--vendor', 'mixpanel', mp as string]);
    expect(a.code).toBe(0);
    expect(a.stdout.trim()).toBe(`mixpanel ${mp} STARTED too late to cancel`);
    expect(a.stderr.trim()).toBe('too_late 1');
    const b = await cli(['status', '--vendor', 'liveperson', lp as string, '--json']);
    const lpStatus = jsonLines(b.stdout)[0] as { cancellableUntil: string; result: { request_time: string } };
    expect(lpStatus).toMatchObject({
      vendor: 'liveperson',
      requestId: lp,
      status: 'NOT_STARTED',
      state: 'cancellable',
    });
    // when it turns final, estimated from request_time and the (default 5-day) window
    const requested = Date.parse(lpStatus.result.request_time);
    expect(lpStatus.cancellableUntil).toBe(new Date(requested + 5 * DAY).toISOString());
    const human = await cli(['status', '--vendor', 'liveperson', lp as string, '--cancel-window-days', '2']);
    const closes = new Date(requested + 2 * DAY).toISOString();
    expect(human.stdout.trim()).toBe(`liveperson ${lp} NOT_STARTED cancellable until about ${closes} (in 1 d 23 h)`);
    expect(human.stderr.trim()).toBe(`cancellable 1; the first LivePerson window closes about ${closes} (in 1 d 23 h)`);
    const list = await cli(['list', '--status', 'NOT_STARTED', '--json']);
    expect(list.code).toBe(0);
    const listed = jsonLines(list.stdout);
    expect(listed.some((r) => String(r.request_id) === lp)).toBe(true);
    expect(listed.every((r) => r.status === 'NOT_STARTED')).toBe(true);
    expectNoSecrets(a.stdout, a.stderr, b.stdout, list.stdout);

    // bulk: a file, validated first; an unknown id (LivePerson 404, Mixpanel NOT_FOUND) is an answer, not a failure
    const input = join(dir, 'status.csv');
    writeFileSync(input, [`mixpanel,${mp}`, `liveperson,${lp}`, 'liveperson,999999'].join('\n'));
    const bulk = await cli(['status', '--input', input, '--json']);
    expect(bulk.code).toBe(0);
    expect(jsonLines(bulk.stdout)).toEqual([
      expect.objectContaining({ line: 1, vendor: 'mixpanel', requestId: mp, status: 'STARTED', state: 'too_late' }),
      expect.objectContaining({ line: 2, vendor: 'liveperson', requestId: lp, state: 'cancellable' }),
      expect.objectContaining({ line: 3, requestId: '999999', status: 'NOT_FOUND', state: 'not_found' }),
    ]);
    expect(bulk.stderr).toMatch(/^cancellable 1, too_late 1, not_found 1; the first LivePerson window closes about /);
    // a failed read is reported on its line and the rest go on (exit 1)
    const revoked = 'status-revoked-bearer-9a8b';
    sandbox.revoke(revoked);
    const failing = await cli(['status', '--input', input, '--json'], { env: { LIVEPERSON_BEARER: revoked } });
    expect(failing.code).toBe(1);
    expect(jsonLines(failing.stdout)).toEqual([
      expect.objectContaining({ line: 1, requestId: mp, state: 'too_late' }),
      expect.objectContaining({ line: 2, requestId: lp, error: 'AuthenticationError', httpStatus: 401 }),
      expect.objectContaining({ line: 3, requestId: '999999', error: 'AuthenticationError', httpStatus: 401 }),
    ]);
    expect(failing.stderr).toContain('2 status read(s) failed');
    expectNoSecrets(bulk.stdout, bulk.stderr, failing.stdout, failing.stderr);
    for (const t of [failing.stdout, failing.stderr]) expect(t).not.toContain(revoked);
  });

  it('status reads concurrently and still prints in input order', async () => {
    const mp = sandbox.seed('mixpanel', 2);
    const lp = sandbox.seed('liveperson', 5);
    const input = join(dir, 'status-order.csv');
    writeFileSync(input, [...mp.map((id) => `mixpanel,${id}`), ...lp.map((id) => `liveperson,${id}`)].join('\n'));
    const r = await cli(['status', '--input', input, '--json', '--rate-limit', '2', '--concurrency', '4']);
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout).map((x) => x.line)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // the second Mixpanel read waits 0.5 s for the rate limit; LivePerson reads went ahead meanwhile
    const at = (path: string) => sandbox.log.indexOf(path);
    expect(at(`GET /liveperson/api/account/92186583/personal-data-deletion/${lp[0]}`)).toBeLessThan(
      at(`GET /mixpanel/data-deletions/v3.0/${mp[1]}`),
    );
  });

  it('LivePerson OAuth 1.0 keys from the environment: signed requests work, with a warning that the protocol ended', async () => {
    const [lp] = sandbox.seed('liveperson', 1);
    const oauth = {
      LIVEPERSON_BEARER: '',
      LIVEPERSON_CONSUMER_KEY: 'cli-ck-1a2b',
      LIVEPERSON_CONSUMER_SECRET: 'cli-cs-secret-3c4d',
      LIVEPERSON_TOKEN: 'cli-tk-5e6f',
      LIVEPERSON_TOKEN_SECRET: 'cli-ts-secret-7a8b',
    };
    const r = await cli(['status', '--vendor', 'liveperson', lp as string], { env: oauth });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`liveperson ${lp} NOT_STARTED cancellable`);
    expect(r.stderr).toMatch(
      /^warning: LivePerson ended OAuth 1\.0 on 2026-05-31; .* Prefer LIVEPERSON_CLIENT_ID and LIVEPERSON_CLIENT_SECRET/,
    );
    for (const secret of Object.values(oauth).filter(Boolean)) {
      expect(r.stdout).not.toContain(secret);
      expect(r.stderr).not.toContain(secret);
    }
  });

  it('MIXPANEL_OAUTH_TOKEN_ISSUED: a warning within 30 days of the one-year expiry, a usage error when malformed', async () => {
    const [mp] = sandbox.seed('mixpanel', 1);
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const issued = day(Date.now() - 350 * DAY);
    const soon = await cli(['status', '--vendor', 'mixpanel', mp as string], {
      env: { MIXPANEL_OAUTH_TOKEN_ISSUED: issued },
    });
    expect(soon.code).toBe(0);
    expect(soon.stderr).toMatch(
      new RegExp(
        `^warning: the Mixpanel OAuth token \\(MIXPANEL_OAUTH_TOKEN_ISSUED ${issued}\\) expires \\d{4}-\\d{2}-\\d{2}, in 1[4-6] day\\(s\\)`,
      ),
    );
    const fresh = await cli(['status', '--vendor', 'mixpanel', mp as string], {
      env: { MIXPANEL_OAUTH_TOKEN_ISSUED: day(Date.now() - 30 * DAY) },
    });
    expect(fresh.stderr).not.toContain('warning');
    const bad = await cli(['cancel', '--vendor', 'mixpanel', mp as string], {
      env: { MIXPANEL_OAUTH_TOKEN_ISSUED: 'last spring' },
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      'MIXPANEL_OAUTH_TOKEN_ISSUED must be the day the token was made, yyyy-mm-dd; got "last spring"',
    );
  });

  it('--hash-ids keeps request ids out of the journal', async () => {
    const ids = sandbox.seed('liveperson', 3);
    const journal = join(dir, 'hashed.jsonl');
    const r = await cli([
      'cancel',
      '--vendor',
      'liveperson',
      ...ids,
      '--journal',
      journal,
      '--hash-ids',
      '--hash-salt',
      'pepper-123',
    ]);
    expect(r.code).toBe(0);
    const text = readFileSync(journal, 'utf8');
    for (const id of ids) expect(text).not.toContain(`"${id}"`);
    const records = jsonLines(text);
    const perRequest = records.filter((j) => !String(j.event).startsWith('run-'));
    expect(perRequest.length).toBeGreaterThanOrEqual(3 * 4); // queued, sent, accepted, final per id
    expect(perRequest.every((j) => String(j.id).startsWith('hmac:'))).toBe(true);
    // the run is framed: what ran, with which settings, and how it ended
    expect(records[0]).toMatchObject({ event: 'run-start', requests: 3, verify: true });
    expect(String(records[0]?.idScheme)).toMatch(/^hmac-sha256:[0-9a-f]{12}$/);
    expect(records.at(-1)).toMatchObject({ event: 'run-end', finished: 3, outcomes: { cancelled: 3 } });
    expect(statSync(journal).mode & 0o777).toBe(0o600);

    // a resume must hash the same way, or it would recognise nothing and send everything again
    const before = sandbox.stats().requests;
    const base = ['cancel', '--vendor', 'liveperson', ...ids, '--journal', journal, '--resume'];
    const otherSalt = await cli([...base, '--hash-ids', '--hash-salt', 'other-salt']);
    expect(otherSalt.code).toBe(2);
    expect(otherSalt.stderr).toContain('with a different --hash-salt');
    const unhashed = await cli(base);
    expect(unhashed.code).toBe(2);
    expect(unhashed.stderr).toContain('with --hash-ids');
    expect(sandbox.stats().requests).toBe(before);
    // the same salt from a file (like the credentials): hashes alike, and is never printed
    const saltFile = join(dir, 'hash-salt');
    writeFileSync(saltFile, 'pepper-123\n');
    const same = await cli([...base, '--hash-ids', '--json'], {
      env: { PRIVACY_DELETIONS_HASH_SALT: '', PRIVACY_DELETIONS_HASH_SALT_FILE: saltFile },
    });
    expect(same.code).toBe(0);
    expect(same.stdout + same.stderr).not.toContain('pepper-123');
    expect(jsonLines(same.stdout).every((x) => x.resumed === true)).toBe(true);
    expect(sandbox.stats().requests).toBe(before);
    expect(text).not.toContain('pepper-123');
  });

  it('repeated requests in the input are sent once and named with their lines', async () => {
    const [a, b] = sandbox.seed('mixpanel', 2);
    const input = join(dir, 'repeats.csv');
    writeFileSync(input, [`mixpanel,${a}`, `mixpanel,${b}`, `mixpanel,${a}`, `MIXPANEL, ${a}`].join('\n'));
    const r = await cli(['cancel', '--input', input, '--json', ...FAST]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${input}:3: same request as line 1`);
    expect(r.stderr).toContain(`${input}:4: same request as line 1`);
    const results = jsonLines(r.stdout);
    expect(results.map((x) => [x.line, x.outcome])).toEqual(
      expect.arrayContaining([
        [1, 'cancelled'],
        [2, 'cancelled'],
      ]),
    );
    expect(results).toHaveLength(2);
    expect(sandbox.log.filter((l) => l === `DELETE /mixpanel/data-deletions/v3.0/${a}`)).toHaveLength(1);
    const [c] = sandbox.seed('liveperson', 1);
    const args = await cli(['cancel', '--vendor', 'liveperson', c as string, c as string, '--json']);
    expect(jsonLines(args.stdout)).toHaveLength(1);
    expect(args.stderr).toContain('1 repeated request id(s) will be sent once');
  });

  it('an expired token stops that vendor after its first 401; the other vendor goes on; --resume retries the rest', async () => {
    const expired = 'cli-expired-oauth-7e6f5d';
    sandbox.revoke(expired);
    const mp = sandbox.seed('mixpanel', 40);
    const lp = sandbox.seed('liveperson', 10);
    const input = join(dir, 'expired.csv');
    const rows = mp.flatMap((id, i) => [`mixpanel,${id}`, ...(i < lp.length ? [`liveperson,${lp[i]}`] : [])]);
    writeFileSync(input, rows.join('\n'));
    const journal = join(dir, 'expired.jsonl');
    const deletesOf = (ids: string[]) =>
      sandbox.log.filter((l) => ids.some((id) => l === `DELETE /mixpanel/data-deletions/v3.0/${id}`)).length;

    const first = await cli(['cancel', '--input', input, '--json', '--journal', journal, ...FAST], {
      env: { MIXPANEL_OAUTH_TOKEN: expired },
    });
    expect(first.code).toBe(1);
    const results = jsonLines(first.stdout);
    const mpResults = results.filter((x) => x.vendor === 'mixpanel');
    expect(mpResults).toHaveLength(40);
    expect(mpResults.every((x) => x.outcome === 'failed' && x.error === 'AuthenticationError')).toBe(true);
    // at most the requests already in flight when the first 401 came back (concurrency 16) reached the vendor
    expect(deletesOf(mp)).toBeLessThanOrEqual(16);
    expect(mpResults.filter((x) => x.notSent === true).length).toBe(40 - deletesOf(mp));
    expect(results.filter((x) => x.vendor === 'liveperson').every((x) => x.outcome === 'cancelled')).toBe(true);
    expect(first.stderr).toMatch(/mixpanel: stopped sending after AuthenticationError at line \d+/);
    expectNoSecrets(first.stdout, first.stderr, readFileSync(journal, 'utf8'));
    for (const t of [first.stdout, first.stderr, readFileSync(journal, 'utf8')]) expect(t).not.toContain(expired);

    // a new token: --resume re-sends what failed, keeps what the vendor decided
    const second = await cli(['cancel', '--input', input, '--json', '--journal', journal, '--resume', ...FAST]);
    expect(second.code).toBe(0);
    const again = jsonLines(second.stdout);
    expect(again).toHaveLength(50);
    expect(again.filter((x) => x.vendor === 'mixpanel').every((x) => x.outcome === 'cancelled' && !x.resumed)).toBe(
      true,
    );
    expect(again.filter((x) => x.vendor === 'liveperson').every((x) => x.resumed === true)).toBe(true);
    const lpCancels = sandbox.log.filter((l) =>
      lp.some((id) => l === `POST /liveperson/api/account/92186583/personal-data-deletion/${id}/cancel`),
    );
    expect(lpCancels).toHaveLength(10); // none sent twice
  }, 60_000);

  it('Ctrl-C finishes the requests in flight, journals them, exits 130; --resume does the rest', async () => {
    const ids = sandbox.seed('mixpanel', 200);
    const { input, journal } = mixpanelInput('interrupt', ids);
    const args = ['cancel', '--input', input, '--journal', journal, '--json', '--rate-limit', '50'];
    // while the cancels go out (all of them come before any verification read)
    const first = await cli(args, { onSpawn: whenEvents(journal, 'accepted', 20, (child) => child.kill('SIGINT')) });
    expect(first.code).toBe(130);
    expect(first.stderr).toContain('SIGINT: finishing the requests in flight');
    const records = jsonLines(readFileSync(journal, 'utf8'));
    const finalIds = new Set(records.filter((j) => j.event === 'final').map((j) => j.id));
    expect(finalIds.size).toBeLessThan(200);
    // nothing left half-done: every request sent has its final record, and each has a receipt on stdout
    expect(records.filter((j) => j.event === 'sent').every((j) => finalIds.has(j.id))).toBe(true);
    expect(jsonLines(first.stdout)).toHaveLength(finalIds.size);
    expect(first.stderr).toContain(`interrupted: ${finalIds.size} of 200 request(s) finished`);
    expect(records.at(-1)).toMatchObject({ event: 'run-end', interrupted: true, finished: finalIds.size });
    const interruptedReport = await cli(['report', '--journal', journal]);
    expect(interruptedReport.code).toBe(1);
    expect(interruptedReport.stdout).toMatch(/\(interrupted\), finished \d+/);
    expect(interruptedReport.stdout).toContain('the latest run did not finish');

    const second = await cli([...args, '--resume', '--rate-limit', '2000']);
    expect(second.code).toBe(0);
    const results = jsonLines(second.stdout);
    expect(results).toHaveLength(200);
    // accepted before the interruption but not yet verified: unconfirmed then, only verified now (never re-sent)
    const unconfirmed = records.filter((j) => j.event === 'final' && j.outcome === 'unconfirmed');
    expect(unconfirmed.length).toBe(finalIds.size);
    expect(results.filter((x) => x.detail === 'accepted in an earlier run')).toHaveLength(finalIds.size);
    const sentTwice = ids.filter(
      (id) => sandbox.log.filter((l) => l === `DELETE /mixpanel/data-deletions/v3.0/${id}`).length > 1,
    );
    expect(sentTwice).toEqual([]);
    expect(results.every((x) => x.outcome === 'cancelled')).toBe(true);

    // the journal as an audit record: both runs, one final outcome per request
    const report = await cli(['report', '--journal', journal, '--json']);
    expect(report.code).toBe(0);
    const doc = JSON.parse(report.stdout);
    expect(doc).toMatchObject({ complete: true, ok: true, totals: { cancelled: 200 }, inDoubt: [] });
    expect(doc.runs).toHaveLength(2);
    expect(doc.runs[0].start.input.sha256).toBe(createHash('sha256').update(readFileSync(input)).digest('hex'));
    expect(new Set(doc.requests.map((r: { id: string }) => r.id))).toEqual(new Set(ids));
    const table = await cli(['report', '--journal', journal]);
    expect(table.stdout).toMatch(/LINE +VENDOR +REQUEST ID +OUTCOME/);
    expect(table.stdout.trim().split('\n').at(-1)).toBe('cancelled 200');
  }, 60_000);

  it('one journal, one run: a second run on a journal in use is refused; a stale lock is taken over', async () => {
    const ids = sandbox.seed('mixpanel', 40);
    const { input, journal } = mixpanelInput('locked', ids);
    const args = ['cancel', '--input', input, '--journal', journal, '--json'];
    let second: Run | undefined;
    const first = await cli([...args, '--rate-limit', '4'], {
      onSpawn: whenFinals(
        journal,
        1,
        (child) =>
          void cli([...args, '--resume']).then((r) => {
            second = r;
            child.kill('SIGINT');
          }),
        10,
      ),
    });
    expect(second?.code).toBe(2);
    expect(second?.stderr).toMatch(/journal .*locked\.jsonl is in use by process \d+.*; nothing was sent/);
    expect(first.code).toBe(130);
    expect(existsSync(`${journal}.lock`)).toBe(false); // released on exit

    writeFileSync(`${journal}.lock`, '999999999'); // left by a process that no longer exists
    const third = await cli([...args, '--resume', ...FAST]);
    expect(third.code).toBe(0);
    expect(jsonLines(third.stdout)).toHaveLength(40);
    const cancels = sandbox.log.filter((l) => ids.some((id) => l === `DELETE /mixpanel/data-deletions/v3.0/${id}`));
    expect(cancels).toHaveLength(40); // each sent once over both runs
  }, 60_000);

  it('the journal is tamper-evident: report checks its digest chain and the head the run printed; --resume refuses an altered one', async () => {
    const ids = sandbox.seed('mixpanel', 3);
    const { input, journal } = mixpanelInput('chained', ids);
    const run = await cli(['cancel', '--input', input, '--journal', journal, ...FAST]);
    expect(run.code).toBe(0);
    const head = headOf(run.stderr);
    expect(head).toMatch(/^[0-9a-f]{32}$/);
    const good = await cli(['report', '--journal', journal, '--expect-head', head]);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('intact, and the end matches the head digest given');

    const original = readFileSync(journal, 'utf8');
    const lines = original.trimEnd().split('\n');
    const finalAt = lines.findIndex((l) => l.includes('"event":"final"'));
    // someone turns a request's outcome around in the middle of the journal
    lines[finalAt] = (lines[finalAt] as string).replace('"outcome":"cancelled"', '"outcome":"too_late"');
    writeFileSync(journal, `${lines.join('\n')}\n`);
    const edited = await cli(['report', '--journal', journal, '--json']);
    expect(edited.code).toBe(1);
    expect(JSON.parse(edited.stdout).integrity).toMatchObject({ intact: false, brokenAtLine: finalAt + 2 });
    const before = sandbox.stats().requests;
    const resumed = await cli(['cancel', '--input', input, '--journal', journal, '--resume', ...FAST]);
    expect(resumed.code).toBe(2);
    expect(resumed.stderr).toContain(`was altered at line ${finalAt + 2}`);
    expect(sandbox.stats().requests).toBe(before);

    // the end changed (the run-end record's counts): only the head digest kept elsewhere can show it
    writeFileSync(journal, original.replace(/"outcomes":\{"cancelled":3\}/, '"outcomes":{"cancelled":2}'));
    expect((await cli(['report', '--journal', journal])).code).toBe(0);
    const end = await cli(['report', '--journal', journal, '--expect-head', head]);
    expect(end.code).toBe(1);
    expect(end.stdout).toContain(`integrity: BROKEN at the end: the last record's digest is`);
  });

  it('a journal that cannot be written (disk full) stops the run: nothing unrecorded is sent; --resume finishes', async () => {
    const ids = sandbox.seed('mixpanel', 60);
    const { input, journal } = mixpanelInput('disk-full', ids);
    const args = ['cancel', '--input', input, '--journal', journal, '--json', ...FAST];
    const full = await cli(args, { fileSizeLimitKiB: 8 });
    expect(full.code).toBe(1);
    expect(full.stderr).toContain(`journal ${journal} could not be written (EFBIG)`);
    expect(full.stderr).toContain('--resume');
    expect(statSync(journal).size).toBeLessThanOrEqual(8 * 1024);
    const records = readFileSync(journal, 'utf8')
      .split('\n')
      .slice(0, -1)
      .map((l) => JSON.parse(l));
    const recorded = new Set(records.filter((r) => r.event === 'sent').map((r) => r.id));
    const received = ids.filter((id) => sandbox.log.includes(`DELETE /mixpanel/data-deletions/v3.0/${id}`));
    expect(received.length).toBeGreaterThan(0);
    expect(received.length).toBeLessThan(ids.length); // it stopped
    for (const id of received) expect(recorded.has(id), id).toBe(true); // everything sent was journaled first

    const resumed = await cli([...args, '--resume']);
    expect(resumed.code).toBe(0);
    const report = await cli(['report', '--journal', journal, '--json']);
    expect(report.code).toBe(0); // readable despite the torn write; complete and every request cancelled
    const doc = JSON.parse(report.stdout) as { complete: boolean; requests: { outcome: string }[] };
    expect(doc.complete).toBe(true);
    expect(doc.requests).toHaveLength(ids.length);
  }, 30_000);

  it('crash: SIGKILL at two moments, resumed each time: one final outcome per id, no confirmed cancel sent twice', async () => {
    const mp = sandbox.seed('mixpanel', 150);
    const lp = sandbox.seed('liveperson', 150);
    const input = join(dir, 'crash.csv');
    writeFileSync(input, [...mp.map((id) => `mixpanel,${id}`), ...lp.map((id) => `liveperson,${id}`)].join('\n'));
    const journal = join(dir, 'crash.jsonl');
    // Complete records only: a SIGKILL may leave a torn last line, which --resume ignores.
    const finalRecords = () =>
      existsSync(journal)
        ? jsonLines(readFileSync(journal, 'utf8').split('\n').slice(0, -1).join('\n')).filter(
            (j) => j.event === 'final',
          )
        : [];
    /** Runs the CLI (slow enough to be killed midway: Mixpanel at 100 req/s) and SIGKILLs it at `killAt` finals. */
    const runKilledAt = (killAt: number, extra: string[]) =>
      cli(
        [
          'cancel',
          '--input',
          input,
          '--journal',
          journal,
          '--json',
          '--rate-limit',
          '100',
          '--concurrency',
          '4',
          ...extra,
        ],
        { onSpawn: whenFinals(journal, killAt, (child) => child.kill('SIGKILL')) },
      );

    const first = await runKilledAt(50, []);
    expect(first.code).toBeNull(); // killed
    const afterFirst = finalRecords().length;
    expect(afterFirst).toBeGreaterThanOrEqual(50);
    const second = await runKilledAt(afterFirst + 60, ['--resume']);
    expect(second.code).toBeNull(); // killed again, while resuming
    const beforeLast = finalRecords();
    expect(beforeLast.length).toBeGreaterThanOrEqual(afterFirst + 60);
    expect(beforeLast.length).toBeLessThan(300);
    const confirmed = beforeLast.filter((j) => j.outcome === 'cancelled').map((j) => `${j.vendor}:${j.id}`);

    const last = await cli(['cancel', '--input', input, '--journal', journal, '--resume', '--json', ...FAST]);
    expect(last.code).toBe(0);
    const all = finalRecords();
    const perId = new Map<string, number>();
    for (const j of all) perId.set(`${j.vendor}:${j.id}`, (perId.get(`${j.vendor}:${j.id}`) ?? 0) + 1);
    expect(perId.size).toBe(300);
    expect([...perId.values()].every((n) => n === 1)).toBe(true);
    expect(all.every((j) => j.outcome === 'cancelled' || j.outcome === 'already_cancelled')).toBe(true);
    // cancels the sandbox received per id, over all three runs
    const cancelsOf = (key: string) => {
      const [vendor, id] = key.split(':');
      const path =
        vendor === 'mixpanel'
          ? `DELETE /mixpanel/data-deletions/v3.0/${id}`
          : `POST /liveperson/api/account/92186583/personal-data-deletion/${id}/cancel`;
      return sandbox.log.filter((l) => l === path).length;
    };
    for (const key of confirmed) expect(cancelsOf(key), key).toBe(1);
    const resumed = jsonLines(last.stdout).filter((x) => x.resumed === true);
    expect(resumed).toHaveLength(beforeLast.length);
  }, 120_000);
});

/** `create` of one LivePerson consumer deletion, counted in the quota ledger `ledger`. */
const createWithLedger = (subject: string, ledger: string) => [
  'create',
  '--vendor',
  'liveperson',
  '--type',
  'consumer',
  '--ids',
  subject,
  '--yes',
  '--quota-ledger',
  ledger,
  '--no-registry', // these are about the ledger (a registry on a 1 KiB file-size limit could not even be opened)
];

describe('hardening: outcomes told truthfully, files that cannot be turned against the user', () => {
  it("an accepted cancel whose verification read meets a revoked token is unconfirmed, with the cancel's 204", async () => {
    const [id] = sandbox.seed('mixpanel', 1) as [string];
    const oauth = 'cli-oauth-revoked-9a8b7c';
    // the verification read waits for the 1 req/s limiter; the token is revoked as soon as the DELETE arrives
    const deleteLine = `DELETE /mixpanel/data-deletions/v3.0/${id}`;
    const journal = join(dir, 'unconfirmed.jsonl');
    const run = await cli(['cancel', '--vendor', 'mixpanel', id, '--json', '--journal', journal, '--rate-limit', '1'], {
      env: { MIXPANEL_OAUTH_TOKEN: oauth },
      onSpawn: (child) => {
        const timer = setInterval(() => {
          if (!sandbox.log.includes(deleteLine)) return;
          clearInterval(timer);
          sandbox.revoke(oauth);
        }, 2);
        child.on('exit', () => clearInterval(timer));
      },
    });
    expect(run.code).toBe(1);
    const [receipt] = jsonLines(run.stdout);
    expect(receipt).toMatchObject({
      outcome: 'unconfirmed',
      httpStatus: 204,
      verified: false,
      verifyError: 'AuthenticationError',
    });
    expect(receipt?.detail).toMatch(
      /^the vendor accepted the cancel \(HTTP 204\), but the status read that would confirm it failed \(AuthenticationError 401\)/,
    );
    const records = jsonLines(readFileSync(journal, 'utf8'));
    expect(records.find((r) => r.event === 'accepted')).toMatchObject({ id, httpStatus: 204 });
    expect(records.find((r) => r.event === 'final')).toMatchObject({
      outcome: 'unconfirmed',
      verifyError: 'AuthenticationError',
    });
    const status = await cli(['status', '--vendor', 'mixpanel', id, '--json']);
    expect(jsonLines(status.stdout)[0]).toMatchObject({ status: 'REVOKED' });
    expect(run.stderr).not.toContain(oauth);
  });

  it('create: the new LivePerson id reaches stdout even when the quota ledger cannot be written (exit 3, no temp file)', async () => {
    const ledgerDir = join(dir, 'full-disk-ledger');
    mkdirSync(ledgerDir);
    const ledger = join(ledgerDir, 'quota.json');
    // an existing ledger of ~2 KiB, rewritten on every create: under a 1 KiB file-size limit the rewrite fails midway
    const others = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`site${i}:2026-01`, i]));
    writeFileSync(ledger, JSON.stringify(others));
    const run = await cli(createWithLedger('jane@example.com', ledger), { fileSizeLimitKiB: 1 });
    expect(run.code).toBe(3);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({
      vendor: 'liveperson',
      warning: { quotaLedger: ledger, error: 'EFBIG', counted: false },
    });
    expect(out.requestId).toMatch(/^\d+$/);
    expect(run.stderr).toMatch(new RegExp(`LivePerson created request ${out.requestId}, but the local count`));
    expect(readdirSync(ledgerDir)).toEqual(['quota.json']); // no temp file left behind
    expect(JSON.parse(readFileSync(ledger, 'utf8'))).toEqual(others); // the old count is intact
  });

  it('a corrupt quota ledger is a usage error naming the file and line; nothing is sent', async () => {
    for (const [value, said] of [
      ['"100"', 'is "100"'],
      ['1e400', 'is a number too large to hold'],
      ['-100000', 'is -100000'],
    ] as const) {
      const ledger = join(dir, `corrupt-ledger-${value.length}-${said.length}.json`);
      const month = new Date().toISOString().slice(0, 7);
      writeFileSync(ledger, `{\n  "other:2026-01": 1,\n  "92186583:${month}": ${value}\n}\n`);
      const requests = sandbox.stats().requests;
      const run = await cli(createWithLedger('x', ledger));
      expect(run.code, value).toBe(2);
      expect(run.stderr).toContain(`the LivePerson quota ledger ${ledger}:3: the count for 92186583:${month} ${said}`);
      expect(sandbox.stats().requests).toBe(requests);
    }
  });

  it('--journal refuses a symlink and a file that is not a journal, leaving them untouched; an open journal is made 0600', async () => {
    const [id] = sandbox.seed('mixpanel', 1) as [string];
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'line one\nunfinished last line', { mode: 0o644 });
    const link = join(dir, 'link.jsonl');
    symlinkSync(victim, link);
    const requests = sandbox.stats().requests;
    for (const journal of [link, victim]) {
      const run = await cli(['cancel', '--vendor', 'mixpanel', id, '--journal', journal]);
      expect(run.code, journal).toBe(2);
      expect(run.stderr).toMatch(/is a symbolic link|is not a journal/);
      expect(run.stderr).toContain('nothing was sent');
      expect(existsSync(`${journal}.lock`)).toBe(false);
    }
    expect(readFileSync(victim, 'utf8')).toBe('line one\nunfinished last line');
    expect(statSync(victim).mode & 0o777).toBe(0o644);
    expect(sandbox.stats().requests).toBe(requests);

    const journal = join(dir, 'shared.jsonl');
    expect((await cli(['cancel', '--vendor', 'mixpanel', id, '--journal', journal])).code).toBe(0);
    chmodSync(journal, 0o644);
    const again = await cli(['cancel', '--vendor', 'mixpanel', id, '--journal', journal, '--resume']);
    expect(again.stderr).toContain('could be read by others (mode 644); it is now owner-only (600)');
    expect(statSync(journal).mode & 0o777).toBe(0o600);
  });

  it('a null line in a journal: report and --resume exit 2 naming file and line, and the lock is released', async () => {
    const ids = sandbox.seed('mixpanel', 2);
    const { input, journal } = mixpanelInput('null-line', ids);
    expect((await cli(['cancel', '--input', input, '--journal', journal, ...FAST])).code).toBe(0);
    const lines = readFileSync(journal, 'utf8').trimEnd().split('\n');
    lines.splice(3, 0, 'null');
    writeFileSync(journal, `${lines.join('\n')}\n`);
    const report = await cli(['report', '--journal', journal]);
    expect(report.code).toBe(2);
    expect(report.stderr).toContain(`journal ${journal} line 4: not a journal record (expected a JSON object)`);
    const requests = sandbox.stats().requests;
    const resumed = await cli(['cancel', '--input', input, '--journal', journal, '--resume']);
    expect(resumed.code).toBe(2);
    expect(resumed.stderr).toContain(`line 4: not a journal record`);
    expect(existsSync(`${journal}.lock`)).toBe(false);
    expect(sandbox.stats().requests).toBe(requests);
  });

  it('--resume --expect-head refuses a journal rebuilt with a consistent chain; without it a note says what it trusts', async () => {
    const [done, pending] = sandbox.seed('mixpanel', 2) as [string, string];
    const journal = join(dir, 'rebuilt.jsonl');
    const run = await cli(['cancel', '--vendor', 'mixpanel', done, '--journal', journal]);
    expect(run.code).toBe(0);
    const head = headOf(run.stderr);
    // someone swaps in the id of a request still PENDING and recomputes every digest
    let prev = CHAIN_START;
    const rebuilt = readFileSync(journal, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => {
        const text = JSON.stringify({ ...JSON.parse(line.replaceAll(done, pending)), prev });
        prev = lineDigest(text);
        return text;
      });
    writeFileSync(journal, `${rebuilt.join('\n')}\n`);
    expect((await cli(['report', '--journal', journal])).code).toBe(0); // the chain alone cannot tell
    const requests = sandbox.stats().requests;
    const refused = await cli([
      'cancel',
      '--vendor',
      'mixpanel',
      pending,
      '--journal',
      journal,
      '--resume',
      '--expect-head',
      head,
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`not the ${head} given with --expect-head`);
    expect(sandbox.stats().requests).toBe(requests);
    const status = await cli(['status', '--vendor', 'mixpanel', pending, '--json']);
    expect(jsonLines(status.stdout)[0]).toMatchObject({ status: 'PENDING' });
    const trusting = await cli(['cancel', '--vendor', 'mixpanel', pending, '--journal', journal, '--resume', '--json']);
    expect(trusting.stderr).toContain('note: --resume trusts this journal as it is; --expect-head');
  });

  it('vendor text with control characters is escaped in the table and on stderr, exact in JSON; no reflected bearer', async () => {
    const weird = 'PENDING\u001b[2J\u001b[31mFAKE';
    const srv = await scriptedServer((req, res) => {
      if (req.url?.startsWith('/mixpanel/') && req.method === 'DELETE')
        return sendJson(res, 405, { error: `no \u0007${weird}` });
      if (req.url?.startsWith('/mixpanel/')) return sendJson(res, 200, { status: 'ok', results: { status: weird } });
      return sendJson(res, 200, [
        { request_id: 5, status: 'NOT_STARTED', requested_by: String(req.headers.authorization) },
      ]);
    });
    const env = { MIXPANEL_BASE_URL: `${srv.url}/mixpanel`, LIVEPERSON_BASE_URL: `${srv.url}/liveperson` };
    const text = await cli(['status', '--vendor', 'mixpanel', 't1'], { env });
    const json = await cli(['status', '--vendor', 'mixpanel', 't1', '--json'], { env });
    const cancel = await cli(['cancel', '--vendor', 'mixpanel', 't1', '--retries', '0'], { env });
    for (const out of [text.stdout, text.stderr, cancel.stdout, cancel.stderr]) {
      expect(out).not.toContain('\u001b'); // ESC: no sequence reaches the terminal
      expect(out).not.toContain('\u0007'); // BEL
    }
    expect(text.stdout).toContain('PENDING\\u001b[2J\\u001b[31MFAKE'); // the SDK upper-cases status words
    expect(cancel.stdout).toContain('\\u001b[2J');
    expect(jsonLines(json.stdout)[0]?.status).toBe(weird.toUpperCase());
    for (const args of [
      ['status', '--vendor', 'liveperson', '5', '--json'],
      ['list', '--json'],
    ]) {
      const run = await cli(args, { env });
      expect(run.code, args.join(' ')).toBe(0);
      expect(run.stdout).toContain('Bearer [REDACTED]');
      expectNoSecrets(run.stdout, run.stderr);
    }
  });

  it('a 1 MB line is one problem on its line (exit 2); LivePerson 01001 is request 1001 for repeats and --resume', async () => {
    const [lp] = sandbox.seed('liveperson', 1) as [string];
    const input = join(dir, 'long-line.csv');
    writeFileSync(input, `liveperson,${lp}\nmixpanel,${'x'.repeat(1 << 20)}\nliveperson,0${lp}\n`);
    const bad = await cli(['cancel', '--input', input]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${input}:2: the line is longer than 64 KiB`);
    const journal = join(dir, 'zeros.jsonl');
    const run = await cli(['cancel', '--input', input, '--skip-invalid', '--journal', journal, '--json']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`${input}:3: same request as line 1`);
    const again = await cli([
      'cancel',
      '--vendor',
      'liveperson',
      `00${lp}`,
      '--journal',
      journal,
      '--resume',
      '--json',
    ]);
    expect(jsonLines(again.stdout)[0]).toMatchObject({ requestId: lp, resumed: true, outcome: 'cancelled' });
    const cancels = sandbox.log.filter(
      (l) => l === `POST /liveperson/api/account/92186583/personal-data-deletion/${lp}/cancel`,
    );
    expect(cancels).toHaveLength(1);
    const report = await cli(['report', '--journal', journal, '--json']);
    expect(JSON.parse(report.stdout).totals).toEqual({ cancelled: 1 });
  });

  it('--timeout beyond what a timer holds is refused before anything is sent', async () => {
    const run = await cli(['status', '--vendor', 'mixpanel', 't', '--timeout', String(2 ** 31)]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--timeout must be at most 2147483647 ms');
  });
});

describe('LivePerson credentials that work after OAuth 1.0', () => {
  it('client credentials from the environment; the token expires mid-run and is renewed once, nothing fails', async () => {
    const ids = sandbox.seed('liveperson', 200);
    const input = join(dir, 'client-credentials.csv');
    writeFileSync(input, ids.map((id) => `liveperson,${id}`).join('\n'));
    const journal = join(dir, 'client-credentials.jsonl');
    const tokensBefore = sandbox.stats().livePersonTokens;
    const secretFile = join(dir, 'client-secret');
    writeFileSync(secretFile, 'cc-cli-secret-4e5f6a\n');
    const run = await cli(['cancel', '--input', input, '--journal', journal, '--json', '--concurrency', '2'], {
      env: {
        LIVEPERSON_CLIENT_ID: 'cli-app',
        LIVEPERSON_CLIENT_SECRET_FILE: secretFile,
        LIVEPERSON_SENTINEL_BASE_URL: `${sandbox.url}/liveperson`,
      },
      // an hour and a half later on the sandbox's clock: its tokens last an hour, so the one in use now answers 401
      onSpawn: whenFinals(journal, 20, () => sandbox.advance(90 * 60_000), 2),
    });
    expect(run.code, run.stderr).toBe(0);
    const receipts = jsonLines(run.stdout);
    expect(receipts).toHaveLength(200);
    expect(receipts.every((r) => r.outcome === 'cancelled')).toBe(true);
    expect(sandbox.stats().livePersonTokens - tokensBefore).toBe(2);
    expect(`${run.stdout}${run.stderr}${readFileSync(journal, 'utf8')}`).not.toContain('cc-cli-secret-4e5f6a');
  }, 60_000);

  it('a Login Service user; a refused login is an AuthenticationError naming the login endpoint, exit 1', async () => {
    const [id] = sandbox.seed('liveperson', 1) as [string];
    const env = {
      LIVEPERSON_USERNAME: 'privacy-bot',
      LIVEPERSON_PASSWORD: 'cli-login-pw-8d7c',
      LIVEPERSON_LOGIN_BASE_URL: `${sandbox.url}/liveperson`,
    };
    const ok = await cli(['cancel', '--vendor', 'liveperson', id, '--json'], { env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(jsonLines(ok.stdout)[0]).toMatchObject({ outcome: 'cancelled', verified: true });
    sandbox.revoke('cli-login-pw-8d7c');
    const refused = await cli(['status', '--vendor', 'liveperson', id], { env });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(
      /AuthenticationError: liveperson login: .*\/login\?v=1\.3 refused the user name and password/,
    );
    expect(`${refused.stdout}${refused.stderr}`).not.toContain('cli-login-pw-8d7c');
  });

  it('half a credential pair is a usage error naming the missing half', async () => {
    const run = await cli(['status', '--vendor', 'liveperson', '1'], { env: { LIVEPERSON_CLIENT_ID: 'cli-app' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'LIVEPERSON_CLIENT_SECRET is missing: set both LIVEPERSON_CLIENT_ID and LIVEPERSON_CLIENT_SECRET',
    );
  });
});
