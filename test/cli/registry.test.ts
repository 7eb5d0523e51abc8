/**
 * The request registry through the CLI, in real processes against the sandbox: create records, cancel --subject
 * cancels what holds only that person and refuses what would take others down, deadlines (--within, --ics,
 * --refresh), registry import; the registry file holds no subject id in plain text.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { BIN, runProcess } from '../helpers/cli-process.js';
import { type Seen, scriptedServer } from '../helpers/http-server.js';

const DAY = 86_400_000;
let sandbox: Sandbox;
const dir = mkdtempSync(join(tmpdir(), 'pd-registry-cli-'));
const registry = join(dir, 'registry.db');
const env = () => ({
  MIXPANEL_PROJECT_TOKEN: 'reg-project',
  MIXPANEL_OAUTH_TOKEN: 'reg-oauth-1a2b',
  MIXPANEL_BASE_URL: `${sandbox.url}/mixpanel`,
  LIVEPERSON_SITE_ID: '92186583',
  LIVEPERSON_BEARER: 'reg-bearer-3c4d',
  LIVEPERSON_BASE_URL: `${sandbox.url}/liveperson`,
  XDG_STATE_HOME: join(dir, 'state'),
  PRIVACY_DELETIONS_HASH_SALT: 'reg-salt-5e6f',
});
const cli = (args: string[], extra: Record<string, string> = {}) =>
  runProcess(process.execPath, [BIN, ...args], { env: { ...env(), ...extra } });
/** `create` through the CLI, recorded in `registry` unless `more` names another registry; the new request's id. */
const create = async (vendor: string, ids: string[], more: string[] = [], extra: Record<string, string> = {}) => {
  const run = await cli(
    [
      'create',
      '--vendor',
      vendor,
      ...(vendor === 'liveperson' ? ['--type', 'consumer'] : []),
      '--ids',
      ids.join(','),
      '--yes',
      ...(more.includes('--registry') ? [] : ['--registry', registry]),
      ...more,
    ],
    extra,
  );
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout).requestId as string;
};
const mpRecord = async (id: string) =>
  (
    (await (
      await fetch(`${sandbox.url}/mixpanel/data-deletions/v3.0/${id}?token=reg-project`, {
        headers: { authorization: 'Bearer reg-oauth-1a2b' },
      })
    ).json()) as { results: Record<string, unknown> }
  ).results;
const mpStatus = async (id: string) => (await mpRecord(id)).status as string;
const LP_REQUESTS = '/api/account/92186583/personal-data-deletion';
/** The sandbox's LivePerson requests, read from its list. */
const lpList = async () =>
  (await (
    await fetch(`${sandbox.url}/liveperson${LP_REQUESTS}`, { headers: { authorization: 'Bearer reg-bearer-3c4d' } })
  ).json()) as { request_id: number; status: string; delete_json: unknown }[];
const lpStatus = async (id: string) => (await lpList()).find((r) => String(r.request_id) === id)?.status;

beforeAll(async () => {
  sandbox = await startSandbox({ mixpanelRequestsPerSecond: 100_000, recordRequests: true });
});
afterAll(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * A proxy to the sandbox for both vendors; for each exchange `edit` may lose the request (never passed on), lose the
 * answer (passed on, never returned) or rewrite the answer's body. Returns the base URLs to point the CLI at.
 */
async function sandboxProxy(
  edit: (seen: Seen) => 'lose-request' | 'lose-answer' | ((body: string) => string) | undefined,
  onLost: () => void = () => {},
) {
  const proxy = await scriptedServer(async (req, res, seen) => {
    const action = edit(seen);
    if (action === 'lose-request') return onLost();
    const upstream = await fetch(`${sandbox.url}${seen.url}`, {
      method: seen.method,
      headers: { authorization: String(req.headers.authorization), 'content-type': 'application/json' },
      ...(seen.body ? { body: seen.body } : {}),
    });
    const text = await upstream.text();
    if (action === 'lose-answer') return onLost();
    res.writeHead(upstream.status, { 'content-type': 'application/json' });
    res.end(typeof action === 'function' ? action(text) : text);
  });
  return { LIVEPERSON_BASE_URL: `${proxy.url}/liveperson`, MIXPANEL_BASE_URL: `${proxy.url}/mixpanel` };
}

/** Runs the CLI behind {@link sandboxProxy} losing one exchange (`request` or `answer`), and SIGKILLs it then. */
async function killedWhenLost(args: string[], lose: (seen: Seen) => 'request' | 'answer' | undefined) {
  let lost: () => void = () => {};
  const happened = new Promise<void>((r) => {
    lost = r;
  });
  const urls = await sandboxProxy((seen) => {
    const losing = lose(seen);
    return losing && (`lose-${losing}` as const);
  }, lost);
  return runProcess(process.execPath, [BIN, ...args], {
    env: { ...env(), ...urls },
    onSpawn: (child) => {
      happened.then(() => child.kill('SIGKILL'));
    },
  });
}

const lastLine = (run: { stdout: string }) => JSON.parse(run.stdout.trim().split('\n').at(-1) as string);

describe('registry', () => {
  it('cancel --subject cancels the requests that hold only that person, and names the ones that would take others down', async () => {
    const mpShared = await create('mixpanel', ['jane2@example.com', 'jane@example.com', 'ann@example.com']);
    const mpAlone = await create('mixpanel', ['mia@example.com'], ['--reason', 'erasure', '--ticket', 'DSR-1']); // Mixpanel keeps an id in one running task at most (409): Mia, named too, has her own
    const lpAlone = await create('liveperson', ['jane@example.com'], ['--ticket', 'DSR-1']);
    const lpShared = await create('liveperson', ['bob@example.com', 'jane@example.com']);
    const other = await create('mixpanel', ['zoe@example.com']);

    const file =
      readFileSync(registry).toString('latin1') + readFileSync(`${registry}-wal`, { flag: 'a+' }).toString('latin1');
    for (const person of [
      'jane@example.com',
      'mia@example.com',
      'ann@example.com',
      'bob@example.com',
      'zoe@example.com',
    ])
      expect(file).not.toContain(person);

    const before = sandbox.stats().requests;
    const named = ['--subject', 'jane@example.com', '--subject', 'mia@example.com'];
    const dry = await cli(['cancel', ...named, '--registry', registry, '--dry-run']);
    expect(dry.code).toBe(1);
    expect(dry.stderr).toContain(
      '2 subject(s): 4 open registered request(s) hold them; 2 hold only them and would be cancelled',
    );
    expect(dry.stderr).toContain(
      `not cancelled: mixpanel mixpanel ${mpShared} holds 1 named subject(s) and 2 other(s)`,
    );
    expect(dry.stderr).toContain(
      `not cancelled: liveperson liveperson ${lpShared} holds 1 named subject(s) and 1 other(s)`,
    );
    expect(dry.stdout).toContain(`DELETE ${sandbox.url}/mixpanel/data-deletions/v3.0/${mpAlone}/`);
    expect(sandbox.stats().requests).toBe(before);

    const journal = join(dir, 'subject.journal');
    const run = await cli(['cancel', ...named, '--registry', registry, '--json', '--journal', journal]);
    expect(run.code).toBe(1); // the two shared requests were not cancelled
    const receipts = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(receipts.map((r) => [r.requestId, r.outcome, r.verified]).sort()).toEqual(
      [
        [mpAlone, 'cancelled', true],
        [lpAlone, 'cancelled', true],
      ].sort(),
    );
    expect(await mpStatus(mpAlone)).toBe('REVOKED');
    expect(await mpStatus(mpShared)).toBe('PENDING');
    expect(await mpStatus(other)).toBe('PENDING');
    expect(readFileSync(journal, 'utf8')).not.toContain('jane@example.com');

    // a second run finds nothing left that holds only her
    const again = await cli(['cancel', ...named, '--registry', registry, '--json']);
    expect(again.stderr).toContain('2 open registered request(s) hold them; 0 hold only them');

    // both named: the shared LivePerson request holds only them now
    const both = await cli([
      'cancel',
      '--subject',
      'jane@example.com',
      '--subject',
      'bob@example.com',
      '--registry',
      registry,
      '--json',
    ]);
    expect(both.stdout).toContain(`"requestId":"${lpShared}"`);
  }, 60_000);

  it('a bulk run sends LivePerson cancels oldest first, whatever the file order, and every cancel before any read', async () => {
    const ids = sandbox.seed('liveperson', 5);
    const input = join(dir, 'newest-first.csv');
    writeFileSync(
      input,
      `vendor,request_id\n${[...ids]
        .reverse()
        .map((id) => `liveperson,${id}`)
        .join('\n')}\n`,
    );
    const from = sandbox.log.length;
    const run = await cli(['cancel', '--input', input, '--concurrency', '1', '--json']);
    expect(run.code).toBe(0);
    const sent = sandbox.log.slice(from);
    const cancels = sent.filter((l) => l.endsWith('/cancel'));
    expect(cancels.map((l) => l.split('/').at(-2))).toEqual(ids); // seeded oldest first
    const lastCancel = sent.findLastIndex((l) => l.endsWith('/cancel'));
    const firstRead = sent.findIndex((l) => l.startsWith('GET '));
    expect(lastCancel).toBeLessThan(firstRead);
  });

  it('--split spares only the named subject: the request is cancelled and the others re-submitted (Mixpanel and LivePerson)', async () => {
    const path = join(dir, 'split.db');
    const reg = ['--registry', path];
    const mpOld = await create('mixpanel', ['sp-a', 'sp-b', 'sp-c'], reg);
    const lpOld = await create('liveperson', ['sp-a', 'lp-b'], reg);
    const journal = join(dir, 'split.journal');
    const dry = await cli(['cancel', '--subject', 'sp-a', '--split', '--dry-run', ...reg]);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain(`would split: mixpanel mixpanel ${mpOld} holds 1 named subject(s) and 2 other(s)`);
    expect(dry.stdout).toContain('(none: only the splits listed above)');
    expect((await cli(['cancel', '--subject', 'sp-a', '--split', ...reg])).stderr).toContain('--split needs --journal');

    const run = await cli(['cancel', '--subject', 'sp-a', '--split', '--json', '--journal', journal, ...reg]);
    expect(run.code, run.stderr).toBe(0);
    const results = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const mpSplit = results.find((r) => r.requestId === mpOld);
    const lpSplit = results.find((r) => r.requestId === lpOld);
    expect(mpSplit).toMatchObject({ split: true, outcome: 'split', others: 2 });
    expect(lpSplit).toMatchObject({ split: true, outcome: 'split', others: 1 });
    expect(await mpStatus(mpOld)).toBe('REVOKED');
    const fresh = await mpRecord(mpSplit.newRequestId);
    expect(fresh).toMatchObject({ status: 'PENDING', distinct_ids: ['sp-b', 'sp-c'] });
    const lpNew = await (
      await fetch(`${sandbox.url}/liveperson/api/account/92186583/personal-data-deletion/${lpSplit.newRequestId}`, {
        headers: { authorization: 'Bearer reg-bearer-3c4d' },
      })
    ).json();
    expect(JSON.stringify(lpNew)).toContain('lp-b');
    expect(JSON.stringify(lpNew)).not.toContain('sp-a');
    // the registry now knows the new requests, and nothing open holds sp-a
    const after = await cli(['cancel', '--subject', 'sp-a', '--dry-run', ...reg]);
    expect(after.stderr).toContain('0 open registered request(s) hold them');
    const others = await cli(['cancel', '--subject', 'sp-b', '--dry-run', ...reg]);
    expect(others.stderr).toContain(
      `not cancelled: mixpanel mixpanel ${mpSplit.newRequestId} holds 1 named subject(s) and 1 other(s)`,
    );
  }, 60_000);

  it('SIGKILL between the cancel and the re-submission, then --resume: every other subject scheduled exactly once', async () => {
    const path = join(dir, 'kill.db');
    const reg = ['--registry', path];
    const old = await create('mixpanel', ['k-a', 'k-b', 'k-c'], reg);
    const journal = join(dir, 'kill.journal');
    const args = ['cancel', '--subject', 'k-a', '--split', '--json', '--journal', journal, ...reg];
    const killed = await runProcess(process.execPath, [BIN, ...args], {
      env: env(),
      onSpawn: (child) => {
        // the create waits a second behind the cancel in Mixpanel's 1 request/s: the kill lands in between
        const timer = setInterval(() => {
          if (!existsSync(journal) || !readFileSync(journal, 'utf8').includes('"step":"cancel-accepted"')) return;
          clearInterval(timer);
          child.kill('SIGKILL');
        }, 2);
        child.on('exit', () => clearInterval(timer));
      },
    });
    expect(killed.code).toBe(null);
    const cut = await cli(['report', '--journal', journal]);
    expect(cut.code).toBe(1);
    // killed after the cancel, before the create reached Mixpanel (it waits a second in the limiter, journaled as sent)
    expect(cut.stdout).toMatch(
      new RegExp(
        `mixpanel mixpanel ${old}: STOPPED after (cancel-accepted|create-sent) \\(cancelled; its other subjects may not be scheduled`,
      ),
    );
    expect(await mpStatus(old)).toBe('REVOKED');
    expect(readFileSync(journal, 'utf8')).not.toContain('"step":"created"');

    const resumed = await cli([...args, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const result = lastLine(resumed);
    expect(result).toMatchObject({ outcome: 'split', requestId: old, others: 2 });
    // Mixpanel names every running task that holds an id: k-b and k-c are each in exactly the new one
    const probe = await fetch(`${sandbox.url}/mixpanel/data-deletions/v3.0?token=reg-project`, {
      method: 'POST',
      headers: { authorization: 'Bearer reg-oauth-1a2b', 'content-type': 'application/json' },
      body: JSON.stringify({ distinct_ids: ['k-b', 'k-c'] }),
    });
    expect(probe.status).toBe(409);
    const conflict = (
      (await probe.json()) as { error: { conflicting_task_ids: string[]; conflicting_distinct_ids: string[] } }
    ).error;
    expect(conflict.conflicting_task_ids).toEqual([result.newRequestId]);
    expect(conflict.conflicting_distinct_ids.sort()).toEqual(['k-b', 'k-c']);
    const whole = await cli(['report', '--journal', journal]);
    expect(whole.stdout).toContain(`mixpanel mixpanel ${old}: done, others re-submitted as ${result.newRequestId}`);
    // and a third run finds nothing left to do: the old request is superseded in the registry, so k-a matches
    // no open request, which is said (exit 1) rather than passed over as "nothing to do"
    const third = await cli([...args, '--resume']);
    expect(third.code).toBe(1);
    expect(third.stderr).toContain('0 open registered request(s) hold them');
    expect(third.stderr).toContain('no open registered request holds the subject given as --subject #1');
  }, 60_000);

  it('a --hash-ids journal names the request a split made by its hash, like every other request', async () => {
    const path = join(dir, 'hashed-split.db');
    const reg = ['--registry', path];
    const old = await create('mixpanel', ['hs-a', 'hs-b'], reg);
    const lpOld = await create('liveperson', ['hs-a', 'hs-c'], reg);
    const journal = join(dir, 'hashed-split.journal');
    const run = await cli([
      'cancel',
      '--subject',
      'hs-a',
      '--split',
      '--json',
      '--journal',
      journal,
      '--hash-ids',
      ...reg,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const splits = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((r) => r.split);
    expect(splits.map((r) => r.outcome)).toEqual(['split', 'split']);
    const text = readFileSync(journal, 'utf8');
    for (const id of [old, lpOld, ...splits.map((r) => r.newRequestId as string)]) expect(text).not.toContain(id);
    expect(text.match(/"newId":"hmac:[0-9a-f]{32}"/g)?.length).toBeGreaterThanOrEqual(4); // created and done, twice
    const report = await cli(['report', '--journal', journal]);
    expect(report.stdout).not.toContain(splits[0].newRequestId);
  }, 60_000);

  it('LivePerson split with the monthly quota used up: said before sending, and the request is left standing', async () => {
    const reg = ['--registry', join(dir, 'quota.db')];
    // a fresh state directory: the local quota ledger counts only this test's creates, against a quota of 1
    const quota = { XDG_STATE_HOME: join(dir, 'quota-state'), LIVEPERSON_MONTHLY_QUOTA: '1' };
    const old = await create('liveperson', ['q-a', 'q-b'], reg, quota);
    const journal = join(dir, 'quota.journal');
    const run = await cli(['cancel', '--subject', 'q-a', '--split', '--json', '--journal', journal, ...reg], quota);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'liveperson liveperson: 1 split(s) need 1 new request(s); 0 of the monthly quota of 1 left (local count): only the first 0 can be split',
    );
    const result = lastLine(run);
    expect(result).toMatchObject({ outcome: 'not_split', requestId: old, error: 'MonthlyQuotaError' });
    expect(result.detail).toContain('nothing was changed');
    // the create was refused before sending, so the cancel never went out: q-b is still scheduled
    expect(readFileSync(journal, 'utf8')).not.toContain('"step":"cancel-sent"');
    expect(await lpStatus(old)).toBe('NOT_STARTED');
  }, 60_000);

  it("--split takes the other ids from a plain-subject registry when the vendor's record lacks them; digests cannot", async () => {
    // Mixpanel status answers without distinct_ids (the spec does not require them)
    const urls = await sandboxProxy((seen) =>
      seen.method === 'GET' && seen.url.startsWith('/mixpanel')
        ? (body) => {
            const parsed = JSON.parse(body) as { results?: { distinct_ids?: unknown } };
            delete parsed.results?.distinct_ids;
            return JSON.stringify(parsed);
          }
        : undefined,
    );
    const split = (subject: string, reg: string[], journal: string) =>
      cli(['cancel', '--subject', subject, '--split', '--json', '--journal', join(dir, journal), ...reg], urls);

    const digests = ['--registry', join(dir, 'unlisted.db')];
    const old = await create('mixpanel', ['ul-a', 'ul-b'], digests);
    const refused = await split('ul-a', digests, 'unlisted.journal');
    expect(refused.code).toBe(1);
    expect(lastLine(refused)).toMatchObject({ outcome: 'not_split', requestId: old });
    expect(lastLine(refused).detail).toContain('the registry keeps only their digests');
    expect(await mpStatus(old)).toBe('PENDING'); // nothing was cancelled

    const plain = ['--registry', join(dir, 'plain.db'), '--registry-plain-subjects'];
    const oldPlain = await create('mixpanel', ['pl-a', 'pl-b', 'pl-c'], plain);
    const run = await split('pl-a', plain, 'plain.journal');
    expect(run.code, run.stderr).toBe(0);
    const result = lastLine(run);
    expect(result).toMatchObject({ outcome: 'split', requestId: oldPlain, others: 2 });
    expect(result.detail).toContain('their ids from the registry');
    expect(await mpStatus(oldPlain)).toBe('REVOKED');
    expect(await mpRecord(result.newRequestId)).toMatchObject({ status: 'PENDING', distinct_ids: ['pl-b', 'pl-c'] });
  }, 60_000);

  it('a split killed while a request or its answer is lost on the way, then --resume: each step done exactly once', async () => {
    const path = join(dir, 'lost.db');
    const reg = ['--registry', path];
    // live (not cancelled) LivePerson requests holding a subject, read from the sandbox's list
    const holding = async (subject: string) =>
      (await lpList()).filter((r) => r.status !== 'CANCELED' && JSON.stringify(r.delete_json).includes(subject));
    const split = (subject: string, journal: string) => [
      'cancel',
      '--subject',
      subject,
      '--split',
      '--json',
      '--journal',
      journal,
      ...reg,
    ];

    // 1. LivePerson: the new request made and journaled, the cancel lost before it reached LivePerson
    const oldA = await create('liveperson', ['lk-a', 'lk-b'], reg);
    const journalA = join(dir, 'lost-a.journal');
    const killedA = await killedWhenLost(split('lk-a', journalA), (seen) =>
      seen.url.includes('/cancel') ? 'request' : undefined,
    );
    expect(killedA.code).toBe(null);
    expect(readFileSync(journalA, 'utf8')).toContain('"step":"cancel-sent"');
    expect(await lpStatus(oldA)).toBe('NOT_STARTED');
    const resumedA = await cli([...split('lk-a', journalA), '--resume']);
    expect(resumedA.code, resumedA.stderr).toBe(0);
    const resultA = lastLine(resumedA);
    expect(resultA).toMatchObject({ outcome: 'split', requestId: oldA, others: 1 });
    expect(await lpStatus(oldA)).toBe('CANCELED');
    expect((await holding('lk-b')).map((r) => String(r.request_id))).toEqual([resultA.newRequestId]);

    // 2. LivePerson: the create made by the vendor but its answer lost: --resume finds it in the list and does not
    // make a second one (LivePerson takes duplicates, and each counts against the monthly quota)
    const oldB = await create('liveperson', ['lk-e', 'lk-c', 'lk-d'], reg);
    const journalB = join(dir, 'lost-b.journal');
    const killedB = await killedWhenLost(split('lk-e', journalB), (seen) =>
      seen.method === 'POST' && seen.url.split('?')[0] === `/liveperson${LP_REQUESTS}` ? 'answer' : undefined,
    );
    expect(killedB.code).toBe(null);
    const cutB = readFileSync(journalB, 'utf8');
    expect(cutB).toContain('"step":"create-sent"');
    expect(cutB).not.toContain('"step":"created"');
    expect(await holding('lk-c')).toHaveLength(2); // the old request and the unanswered new one
    const resumedB = await cli([...split('lk-e', journalB), '--resume']);
    expect(resumedB.code, resumedB.stderr).toBe(0);
    const resultB = lastLine(resumedB);
    expect(resultB).toMatchObject({ outcome: 'split', requestId: oldB, others: 2 });
    const live = await holding('lk-c');
    expect(live.map((r) => String(r.request_id))).toEqual([resultB.newRequestId]);
    expect(JSON.stringify(live[0]?.delete_json)).toContain('lk-d');
    expect(JSON.stringify(live[0]?.delete_json)).not.toContain('lk-e');
    // the registry learned the adopted request: lk-c is found in it, and nothing open holds lk-e
    expect((await cli(['cancel', '--subject', 'lk-c', '--dry-run', ...reg])).stderr).toContain(
      `liveperson liveperson ${resultB.newRequestId} holds 1 named subject(s) and 1 other(s)`,
    );
    expect((await cli(['cancel', '--subject', 'lk-e', '--dry-run', ...reg])).stderr).toContain(
      '0 open registered request(s) hold them',
    );

    // 3. Mixpanel: the cancel landed but its answer was lost: --resume reads REVOKED, takes the cancel as done and
    // re-submits the others (before, the request read as "no longer cancellable" and its others were left)
    const oldC = await create('mixpanel', ['mk-a', 'mk-b'], reg);
    const journalC = join(dir, 'lost-c.journal');
    const killedC = await killedWhenLost(split('mk-a', journalC), (seen) =>
      seen.method === 'DELETE' ? 'answer' : undefined,
    );
    expect(killedC.code).toBe(null);
    expect(readFileSync(journalC, 'utf8')).not.toContain('"step":"cancel-accepted"');
    expect(await mpStatus(oldC)).toBe('REVOKED');
    const resumedC = await cli([...split('mk-a', journalC), '--resume']);
    expect(resumedC.code, resumedC.stderr).toBe(0);
    const resultC = lastLine(resumedC);
    expect(resultC).toMatchObject({ outcome: 'split', requestId: oldC, others: 1 });
    expect(await mpRecord(resultC.newRequestId)).toMatchObject({ status: 'PENDING', distinct_ids: ['mk-b'] });
  }, 60_000);

  it('deadlines: LivePerson windows first, Mixpanel "may start at any time"; --within, --ics, --refresh', async () => {
    const path = join(dir, 'deadlines.db');
    const lpId = await create('liveperson', ['dl-1'], ['--registry', path]);
    await create('mixpanel', ['dl-2'], ['--registry', path]);
    const list = await cli(['deadlines', '--registry', path]);
    expect(list.code).toBe(0);
    const lines = list.stdout.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^liveperson .* ${lpId} .*window closes \\S+ \\(in 4 d\\)`));
    expect(lines[1]).toMatch(/^mixpanel .*may start at any time \(made \d+ min ago\)/);
    expect((await cli(['deadlines', '--registry', path, '--within', '6d'])).code).toBe(1);
    expect((await cli(['deadlines', '--registry', path, '--within', '24h'])).code).toBe(0);
    expect((await cli(['deadlines', '--registry', path, '--within', 'soon'])).code).toBe(2);
    const ics = join(dir, 'deadlines.ics');
    await cli(['deadlines', '--registry', path, '--ics', ics, '--json']);
    const cal = readFileSync(ics, 'utf8');
    expect(cal).toMatch(/^BEGIN:VCALENDAR\r\n/);
    expect(cal.match(/BEGIN:VEVENT/g)).toHaveLength(1);
    expect(cal).toContain(`SUMMARY:Cancel window closes: liveperson liveperson request ${lpId}`);
    // six days later both have run on the sandbox's clock; a Mixpanel request made now has not: --refresh reads
    // every status, records it, and only the new one is still open
    sandbox.advance(6 * DAY);
    const freshId = await create('mixpanel', ['dl-3'], ['--registry', path]);
    const refreshed = await cli(['deadlines', '--registry', path, '--refresh', '--json']);
    expect(refreshed.code).toBe(0);
    const open = refreshed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(open).toEqual([
      expect.objectContaining({ requestId: freshId, vendorStatus: 'PENDING', mayStartAnyTime: true }),
    ]);
    expect(refreshed.stderr).toContain('1 open request(s)');
  }, 60_000);

  /** Runs a split and SIGKILLs it once its journal holds `step` (the 1 request/s limiter leaves a second for it). */
  const splitKilledAfter = (args: string[], journal: string, step: string) =>
    runProcess(process.execPath, [BIN, ...args], {
      env: env(),
      onSpawn: (child) => {
        const timer = setInterval(() => {
          if (!existsSync(journal) || !readFileSync(journal, 'utf8').includes(`"step":"${step}"`)) return;
          clearInterval(timer);
          child.kill('SIGKILL');
        }, 2);
        child.on('exit', () => clearInterval(timer));
      },
    });
  /** The Mixpanel tasks that hold `ids` now, as Mixpanel's 409 names them (a create of them is refused). */
  const mpTasksHolding = async (ids: string[]) => {
    const probe = await fetch(`${sandbox.url}/mixpanel/data-deletions/v3.0?token=reg-project`, {
      method: 'POST',
      headers: { authorization: 'Bearer reg-oauth-1a2b', 'content-type': 'application/json' },
      body: JSON.stringify({ distinct_ids: ids }),
    });
    if (probe.status !== 409) return { status: probe.status, tasks: [] as string[] };
    const { error } = (await probe.json()) as { error: { conflicting_task_ids: string[] } };
    return { status: 409, tasks: error.conflicting_task_ids };
  };
  /** Live LivePerson requests (not cancelled) whose delete_json names `id`. */
  const lpLiveHolding = async (id: string) =>
    (await lpList()).filter((r) => r.status !== 'CANCELED' && JSON.stringify(r.delete_json).includes(id));

  it('a Mixpanel split cut short after the cancel, then a refresh, then the same command without --resume: finished', async () => {
    const reg = ['--registry', join(dir, 'abandoned.db')];
    const old = await create('mixpanel', ['ab-jane', 'ab-bob'], reg);
    const journal = join(dir, 'abandoned.journal');
    const args = ['cancel', '--subject', 'ab-jane', '--split', '--json', '--journal', journal, ...reg];
    expect((await splitKilledAfter(args, journal, 'cancel-accepted')).code).toBe(null);
    expect(await mpStatus(old)).toBe('REVOKED');
    // a refresh marks the old request cancelled, and says a split is unfinished
    const refreshed = await cli(['deadlines', '--refresh', ...reg]);
    expect(refreshed.code).toBe(1);
    // (under load the kill can land after create-sent is recorded, while the create waits in the limiter)
    expect(refreshed.stderr).toMatch(
      new RegExp(
        `UNFINISHED split of mixpanel mixpanel ${old} \\(stopped after (cancel-accepted|create-sent)\\): the request is cancelled`,
      ),
    );
    // without --split the run says what is left; with it (a new journal, no --resume) it finishes
    const told = await cli(['cancel', '--subject', 'ab-jane', '--dry-run', ...reg]);
    expect(told.code).toBe(1);
    expect(told.stderr).toContain(`UNFINISHED: the split of mixpanel mixpanel ${old}`);
    expect(told.stderr).toContain('its 1 other subject(s) are NOT scheduled for deletion yet');
    const again = await cli([
      'cancel',
      '--subject',
      'ab-jane',
      '--split',
      '--json',
      '--journal',
      join(dir, 'ab2.journal'),
      ...reg,
    ]);
    expect(again.code, again.stderr).toBe(0);
    const result = lastLine(again);
    expect(result).toMatchObject({ outcome: 'split', requestId: old, others: 1 });
    expect((await mpTasksHolding(['ab-bob'])).tasks).toEqual([result.newRequestId]);
    const after = await cli(['deadlines', ...reg]);
    expect(after.stderr).not.toContain('UNFINISHED');
  }, 60_000);

  it('a LivePerson create whose answer was lost, then an import, then the same command: no second create', async () => {
    const reg = ['--registry', join(dir, 'landed.db')];
    const old = await create('liveperson', ['lj-jane', 'lj-bob'], reg);
    const journal = join(dir, 'landed.journal');
    const args = ['cancel', '--subject', 'lj-jane', '--split', '--json', '--journal', journal, ...reg];
    const killed = await killedWhenLost(args, (seen) =>
      seen.method === 'POST' && seen.url.endsWith('/personal-data-deletion') ? 'answer' : undefined,
    );
    expect(killed.code).toBe(null);
    expect(await lpLiveHolding('lj-bob')).toHaveLength(2); // the old one and the landed create
    const today = new Date(sandbox.now()).toISOString().slice(0, 10);
    await cli(['registry', 'import', '--vendor', 'liveperson', '--from', today, '--to', today, ...reg]);
    const before = sandbox.stats().livePersonTokens;
    const creates = () => sandbox.log.filter((l) => l === `POST /liveperson${LP_REQUESTS}`).length;
    const sent = creates();
    const again = await cli([
      'cancel',
      '--subject',
      'lj-jane',
      '--split',
      '--json',
      '--journal',
      join(dir, 'lj2.journal'),
      ...reg,
    ]);
    expect(again.code, again.stderr).toBe(0);
    expect(creates()).toBe(sent); // the landed request was taken, nothing created twice
    expect(sandbox.stats().livePersonTokens).toBe(before);
    const live = await lpLiveHolding('lj-bob');
    expect(live.map((r) => String(r.request_id))).toEqual([lastLine(again).newRequestId]);
    expect(await lpStatus(old)).toBe('CANCELED');
    expect(await lpLiveHolding('lj-jane')).toEqual([]);
  }, 60_000);

  it('two runs splitting one LivePerson request at once: one splits, the other is told it is busy', async () => {
    const reg = ['--registry', join(dir, 'concurrent.db')];
    await create('liveperson', ['cc-jane', 'cc-bob', 'cc-carol'], reg);
    // the create waits 1.5 s at a proxy, so the second run arrives while the first holds the request
    const slow = await scriptedServer(async (req, res, seen) => {
      if (seen.method === 'POST' && seen.url.endsWith('/personal-data-deletion'))
        await new Promise((r) => setTimeout(r, 1500));
      const upstream = await fetch(`${sandbox.url}${seen.url}`, {
        method: seen.method,
        headers: { authorization: String(req.headers.authorization), 'content-type': 'application/json' },
        ...(seen.body ? { body: seen.body } : {}),
      });
      res.writeHead(upstream.status, { 'content-type': 'application/json' });
      res.end(await upstream.text());
    });
    const sent = sandbox.log.filter((l) => l === `POST /liveperson${LP_REQUESTS}`).length;
    const run = (who: string) =>
      runProcess(
        process.execPath,
        [BIN, 'cancel', '--subject', who, '--split', '--json', '--journal', join(dir, `${who}.journal`), ...reg],
        { env: { ...env(), LIVEPERSON_BASE_URL: `${slow.url}/liveperson` } },
      );
    const [a, b] = await Promise.all([run('cc-jane'), run('cc-bob')]);
    const outcomes = [lastLine(a).outcome, lastLine(b).outcome].sort();
    expect(outcomes).toEqual(['busy', 'split']);
    expect(lastLine(a.stdout.includes('"busy"') ? a : b).detail).toMatch(
      /another run \(.* pid \d+ run [0-9a-f]{8}\) is working/,
    );
    expect(sandbox.log.filter((l) => l === `POST /liveperson${LP_REQUESTS}`).length - sent).toBe(1);
    const winner = lastLine(a).outcome === 'split' ? 'cc-jane' : 'cc-bob';
    const loser = winner === 'cc-jane' ? 'cc-bob' : 'cc-jane';
    expect(await lpLiveHolding(winner)).toEqual([]);
    expect(await lpLiveHolding(loser)).toHaveLength(1);
    expect(await lpLiveHolding('cc-carol')).toHaveLength(1);
  }, 60_000);

  it('a Mixpanel 409 naming a task someone else made is not taken for the split’s own create', async () => {
    const reg = ['--registry', join(dir, 'foreign.db')];
    const old = await create('mixpanel', ['fx-jane', 'fx-bob'], reg);
    const journal = join(dir, 'foreign.journal');
    const args = ['cancel', '--subject', 'fx-jane', '--split', '--json', '--journal', journal, ...reg];
    expect((await splitKilledAfter(args, journal, 'cancel-accepted')).code).toBe(null);
    // meanwhile another tool schedules fx-bob together with someone else
    const made = await fetch(`${sandbox.url}/mixpanel/data-deletions/v3.0?token=reg-project`, {
      method: 'POST',
      headers: { authorization: 'Bearer reg-oauth-1a2b', 'content-type': 'application/json' },
      body: JSON.stringify({ distinct_ids: ['fx-bob', 'fx-dave'] }),
    });
    expect(made.ok).toBe(true);
    const foreign = (await mpTasksHolding(['fx-dave'])).tasks[0] as string;
    const again = await cli([...args, '--resume']);
    expect(again.code, again.stderr).toBe(0);
    const result = lastLine(again);
    expect(result).toMatchObject({ outcome: 'split', requestId: old });
    expect(result.newRequestId).toBeUndefined();
    expect(result.detail).toContain(`already scheduled for deletion in mixpanel request ${foreign}`);
    // that task is not registered as holding fx-bob alone: cancelling fx-bob finds nothing to take dave down with
    const bob = await cli(['cancel', '--subject', 'fx-bob', '--dry-run', ...reg]);
    expect(bob.stdout).not.toContain(foreign);
    expect(await mpStatus(foreign)).toBe('PENDING');
    expect(await mpStatus(old)).toBe('REVOKED');
  }, 60_000);

  it('the store hears what every command learns: an import of closed requests, a cancel by id, a status read, a refresh', async () => {
    const path = join(dir, 'facts.db');
    const reg = ['--registry', path];
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const lpCancelAtVendor = (id: string) =>
      fetch(`${sandbox.url}/liveperson${LP_REQUESTS}/${id}/cancel`, {
        method: 'POST',
        headers: { authorization: 'Bearer reg-bearer-3c4d' },
      });
    const listed = async () =>
      (await cli(['deadlines', ...reg, '--json'])).stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).requestId as string);
    // LivePerson requests made elsewhere: one open, one cancelled there, one past its window, one done
    const [open] = sandbox.seed('liveperson', 1);
    const [cancelled] = sandbox.seed('liveperson', 1);
    await lpCancelAtVendor(cancelled as string);
    const [inProgress] = sandbox.seed('liveperson', 1, 5.5 * DAY);
    const [done] = sandbox.seed('liveperson', 1, 7 * DAY);
    const imported = await cli([
      'registry',
      'import',
      '--vendor',
      'liveperson',
      '--from',
      day(sandbox.now() - 8 * DAY),
      '--to',
      day(sandbox.now()),
      ...reg,
    ]);
    expect(imported.stderr).toMatch(/: [1-9]\d* open, [1-9]\d* already cancelled, [1-9]\d* past cancelling/);
    expect(imported.stderr).toContain(`liveperson liveperson ${cancelled}: cancelled (vendor status CANCELED)`);
    expect(imported.stderr).toContain(`liveperson liveperson ${inProgress}: final (vendor status IN_PROGRESS)`);
    expect(imported.stderr).toContain(`liveperson liveperson ${done}: final (vendor status DONE)`);
    let now = await listed();
    expect(now).toContain(open);
    for (const closed of [cancelled, inProgress, done]) expect(now).not.toContain(closed);

    // a cancel by id, and one from a file: the registry hears each outcome
    const byId = await cli(['cancel', '--vendor', 'liveperson', open as string, ...reg]);
    expect(byId.code, byId.stderr).toBe(0);
    const mpTask = await create('mixpanel', ['facts-1'], reg);
    const input = join(dir, 'facts.csv');
    writeFileSync(input, `mixpanel,${mpTask}\n`);
    expect((await cli(['cancel', '--input', input, ...reg])).code).toBe(0);
    now = await listed();
    expect(now, byId.stderr + byId.stdout).not.toContain(open);
    expect(now).not.toContain(mpTask);

    // a status read of a request cancelled elsewhere, and a refresh that says what it closed
    const lpMine = await create('liveperson', ['facts-2'], reg);
    const lpOther = await create('liveperson', ['facts-3'], reg);
    await lpCancelAtVendor(lpMine);
    await lpCancelAtVendor(lpOther);
    expect((await cli(['status', '--vendor', 'liveperson', lpMine, ...reg])).code).toBe(0);
    expect(await listed()).not.toContain(lpMine);
    const refreshed = await cli(['deadlines', ...reg, '--refresh']);
    expect(refreshed.stderr).toContain(`liveperson liveperson ${lpOther}: open → cancelled (the vendor says CANCELED)`);
    expect(refreshed.stderr).not.toContain(lpMine);
    expect(await listed()).not.toContain(lpOther);
  }, 60_000);

  it('registry import: LivePerson requests from the list, Mixpanel from tracking ids; create without a salt is refused', async () => {
    const path = join(dir, 'import.db');
    const today = new Date(sandbox.now()).toISOString().slice(0, 10);
    const seeded = sandbox.seed('liveperson', 3);
    const imported = await cli([
      'registry',
      'import',
      '--vendor',
      'liveperson',
      '--from',
      today,
      '--to',
      today,
      '--registry',
      path,
    ]);
    expect(imported.stderr).toMatch(/imported \d+ liveperson request\(s\) of account liveperson/);
    const found = await cli(['cancel', '--subject', 'seed-0', '--registry', path, '--dry-run']);
    expect(found.stderr).toMatch(/hold them/);
    expect(found.stdout).toContain(`/${seeded[0]}/cancel`);

    const ids = join(dir, 'tracking-ids.txt');
    const tasks = sandbox.seed('mixpanel', 2);
    writeFileSync(ids, `# exported from the ticket system\n${tasks.join('\n')}\n`);
    const mp = await cli(['registry', 'import', '--vendor', 'mixpanel', '--input', ids, '--registry', path]);
    expect(mp.code).toBe(0);
    expect(mp.stderr).toContain('imported 2 mixpanel request(s)');

    const noSalt = await cli(['create', '--vendor', 'mixpanel', '--ids', 'x', '--yes', '--registry', path], {
      PRIVACY_DELETIONS_HASH_SALT: '',
    });
    expect(noSalt.code).toBe(2);
    expect(noSalt.stderr).toContain('set PRIVACY_DELETIONS_HASH_SALT');
    const optOut = await cli(['create', '--vendor', 'mixpanel', '--ids', 'y', '--yes', '--no-registry'], {
      PRIVACY_DELETIONS_HASH_SALT: '',
    });
    expect(optOut.code).toBe(0);
  }, 60_000);
});
