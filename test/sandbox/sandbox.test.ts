/**
 * The stateful sandbox that `npm start` and the CLI tests stand on, driven through the SDK and `prism proxy --errors`
 * (so every answer it gives is also checked against the specs): lifecycles on its clock, the cancel windows, the
 * Mixpanel 409 and rate limit, and LivePerson's monthly quota.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConflictError,
  createLivePersonClient,
  createMixpanelClient,
  LIVEPERSON_DEFAULT_CANCEL_WINDOW_MS,
  livePersonCancellableUntil,
  MonthlyQuotaError,
  RateLimitError,
} from '../../src/index.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { type SandboxBehindPrism, startSandboxBehindPrism } from '../helpers/sandbox-behind-prism.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MIXPANEL_RPS = 5;
const LIVEPERSON_QUOTA = 3;
let sandbox: Sandbox;
let env: SandboxBehindPrism | undefined;
let mpUrl = '';
let lpUrl = '';

beforeAll(async () => {
  env = await startSandboxBehindPrism({
    mixpanelRequestsPerSecond: MIXPANEL_RPS,
    livePersonMonthlyQuota: LIVEPERSON_QUOTA,
  });
  ({ sandbox, mixpanelUrl: mpUrl, livePersonUrl: lpUrl } = env);
}, 90_000);
afterAll(() => env?.close());

/** A Mixpanel client paced just under the sandbox's limit, so only the rate-limit test meets a 429. */
const mixpanel = (projectToken = 'sandbox-project') =>
  createMixpanelClient({
    projectToken,
    oauthToken: 'sandbox-oauth',
    baseUrl: mpUrl,
    rateLimit: { requests: MIXPANEL_RPS - 1, intervalMs: 1000 },
    trailingSlash: false, // the spec's paths: Prism checks them (the sandbox answers both forms)
  });
const liveperson = (siteId: string) =>
  createLivePersonClient({ siteId, auth: { bearer: 'sandbox-bearer' }, baseUrl: lpUrl, monthlyQuota: false });

describe('sandbox, Mixpanel', () => {
  it('PENDING → STAGING → STARTED → SUCCESS on the clock; cancellable until STARTED, then too late', async () => {
    const mp = mixpanel();
    const early = await mp.createDeletion({ distinctIds: ['life-early'] });
    const late = await mp.createDeletion({ distinctIds: ['life-late'] });
    expect((await mp.getDeletion(early.taskId)).status).toBe('PENDING');

    sandbox.advance(HOUR);
    expect((await mp.getDeletion(early.taskId)).status).toBe('STAGING');
    expect(await mp.cancelDeletion(early.taskId)).toMatchObject({ outcome: 'cancelled', httpStatus: 204 });
    expect((await mp.getDeletion(early.taskId)).status).toBe('REVOKED');
    expect(await mp.cancelDeletion(early.taskId)).toMatchObject({
      outcome: 'already_cancelled',
      vendorStatus: 'REVOKED',
      httpStatus: 405,
    });

    sandbox.advance(DAY - HOUR);
    expect(await mp.cancelDeletion(late.taskId)).toMatchObject({ outcome: 'too_late', vendorStatus: 'STARTED' });
    sandbox.advance(DAY);
    expect(await mp.cancelDeletion(late.taskId)).toMatchObject({ outcome: 'too_late', vendorStatus: 'SUCCESS' });
    expect((await mp.getDeletion(early.taskId)).status).toBe('REVOKED'); // a revoked task stays revoked
    expect(await mp.cancelDeletion('00000000-0000-4000-8000-000000000000')).toMatchObject({ outcome: 'not_found' });
  });

  it('409 names the distinct ids already in a running task and that task; once it ends they are free again', async () => {
    const mp = mixpanel();
    const first = await mp.createDeletion({ distinctIds: ['busy-1', 'busy-2'] });
    const err = await mp.createDeletion({ distinctIds: ['busy-2', 'free-1'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({ status: 409, conflictingDistinctIds: ['busy-2'], conflictingTaskIds: [first.taskId] });

    const rest = await mp.createDeletion({ distinctIds: ['busy-2', 'free-1'], onConflict: 'submit-rest' });
    expect(rest.alreadyScheduled).toEqual({ distinctIds: ['busy-2'], taskIds: [first.taskId] });
    expect(await mp.getDeletion(rest.taskId)).toMatchObject({ status: 'PENDING', distinctIdCount: 1 });

    sandbox.advance(2 * DAY); // the first task reaches SUCCESS: its ids may be scheduled again
    await expect(mp.createDeletion({ distinctIds: ['busy-2'] })).resolves.toMatchObject({ taskId: expect.any(String) });
  });

  it('answers 429 above its rate per project token; the SDK limiter at that rate meets none', async () => {
    const burst = createMixpanelClient({
      projectToken: 'sandbox-burst',
      oauthToken: 'sandbox-oauth',
      baseUrl: mpUrl,
      rateLimit: false,
      maxRetries: 0,
      trailingSlash: false,
    });
    const results = await Promise.allSettled(
      Array.from({ length: 4 * MIXPANEL_RPS }, () => burst.getDeletion('burst')),
    );
    const refused = results.filter((r) => r.status === 'rejected').map((r) => r.reason as unknown);
    expect(refused.length).toBeGreaterThan(0);
    for (const e of refused) {
      expect(e).toMatchObject({
        constructor: RateLimitError,
        status: 429,
        attempts: 1,
        body: { status: 'error', error: `Too Many Requests, this API is limited to ${MIXPANEL_RPS} req/s` },
      });
    }

    const before = sandbox.stats().mixpanel429;
    const paced = mixpanel('sandbox-paced');
    const statuses = await Promise.all(Array.from({ length: 2 * MIXPANEL_RPS }, () => paced.getDeletion('paced')));
    expect(statuses.map((s) => s.status)).toEqual(Array(2 * MIXPANEL_RPS).fill('NOT_FOUND'));
    expect(sandbox.stats().mixpanel429).toBe(before);
  });
});

describe('sandbox, LivePerson', () => {
  it('NOT_STARTED until the window closes (5 days) → IN_PROGRESS → DONE; cancels inside it only', async () => {
    const lp = liveperson('lifecycle');
    const kept = await lp.createDeletionRequest({ consumer: ['c-1'] });
    const stopped = await lp.createDeletionRequest({ conversation: ['conv-1'] });
    const keptId = String(kept.request_id);
    const record = await lp.getDeletionRequest(keptId);
    expect(record.status).toBe('NOT_STARTED');
    const until = livePersonCancellableUntil(record);
    expect(Date.parse(until ?? '')).toBe(Date.parse(String(record.request_time)) + LIVEPERSON_DEFAULT_CANCEL_WINDOW_MS);

    expect(await lp.cancelDeletionRequest(String(stopped.request_id))).toMatchObject({ outcome: 'cancelled' });
    expect(await lp.getDeletionRequest(String(stopped.request_id))).toMatchObject({
      status: 'CANCELED',
      is_canceled: true,
    });
    expect(await lp.cancelDeletionRequest(String(stopped.request_id))).toMatchObject({
      outcome: 'already_cancelled',
      vendorStatus: 'CANCELED',
    });

    sandbox.advance(LIVEPERSON_DEFAULT_CANCEL_WINDOW_MS);
    expect(await lp.cancelDeletionRequest(keptId)).toMatchObject({ outcome: 'too_late', vendorStatus: 'IN_PROGRESS' });
    sandbox.advance(DAY);
    expect(await lp.cancelDeletionRequest(keptId)).toMatchObject({ outcome: 'too_late', vendorStatus: 'DONE' });
    expect(await lp.cancelDeletionRequest('99999999')).toMatchObject({ outcome: 'not_found' });
  });

  it('list filters by status and by request date (yyyy-mm-dd or unix seconds)', async () => {
    const lp = liveperson('listing');
    const old = await lp.createDeletionRequest({ consumer: ['old'] });
    sandbox.advance(10 * DAY);
    const recent = await lp.createDeletionRequest({ consumer: ['recent'] });
    const ids = (rs: { request_id?: unknown }[]) => rs.map((r) => r.request_id);
    const recentDay = String(recent.request_time).slice(0, 10);
    const oldDay = String(old.request_time).slice(0, 10);

    expect(ids(await lp.listDeletionRequests())).toEqual([old.request_id, recent.request_id]);
    expect(ids(await lp.listDeletionRequests({ status: 'NOT_STARTED' }))).toEqual([recent.request_id]);
    expect(ids(await lp.listDeletionRequests({ status: 'DONE' }))).toEqual([old.request_id]);
    expect(ids(await lp.listDeletionRequests({ fromDate: recentDay }))).toEqual([recent.request_id]);
    expect(ids(await lp.listDeletionRequests({ toDate: oldDay }))).toEqual([old.request_id]);
    const afterOld = Math.floor(Date.parse(String(old.request_time)) / 1000) + 1;
    expect(ids(await lp.listDeletionRequests({ fromDate: afterOld }))).toEqual([recent.request_id]);
  });

  it('the monthly quota answers 429 (MonthlyQuotaError, not retried) per site and calendar month', async () => {
    const lp = liveperson('quota');
    for (let i = 0; i < LIVEPERSON_QUOTA; i++) await lp.createDeletionRequest({ consumer: [`q-${i}`] });
    const err = await lp.createDeletionRequest({ consumer: ['one-too-many'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MonthlyQuotaError);
    expect(err).toMatchObject({ status: 429, attempts: 1 });
    // another site has its own quota; the next month starts afresh
    await expect(liveperson('quota_other').createDeletionRequest({ consumer: ['x'] })).resolves.toBeDefined();
    sandbox.advance(32 * DAY);
    await expect(lp.createDeletionRequest({ consumer: ['next-month'] })).resolves.toBeDefined();
  });
});

describe('the sandbox refuses what would crash it or let a web page drive it', () => {
  const direct = (path: string, init: RequestInit = {}) => fetch(`${sandbox.url}${path}`, init);
  const json = { 'content-type': 'application/json' };
  const alive = async () => (await direct('/_sandbox/state')).status;

  it('an invalid percent-escape in a path is a 400, and the sandbox stays up', async () => {
    const res = await direct('/mixpanel/data-deletions/v3.0/%E0?token=t', {
      headers: { authorization: 'Bearer x' },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'the path has an invalid percent-escape' });
    expect(await alive()).toBe(200);
  });

  it('seeded over HTTP, a Mixpanel task is seen by every project unless seeded for one', async () => {
    const seed = async (body: object) =>
      (
        (await (
          await direct('/_sandbox/seed', { method: 'POST', headers: json, body: JSON.stringify(body) })
        ).json()) as {
          ids: string[];
        }
      ).ids[0];
    const read = async (id: string | undefined, token: string) =>
      (
        (await (
          await direct(`/mixpanel/data-deletions/v3.0/${id}/?token=${token}`, {
            headers: { authorization: 'Bearer x' },
          })
        ).json()) as {
          results: { status: string };
        }
      ).results.status;
    const anyProject = await seed({ vendor: 'mixpanel' });
    expect(await read(anyProject, 'project-a')).toBe('PENDING');
    const ofB = await seed({ vendor: 'mixpanel', project: 'project-b' });
    expect(await read(ofB, 'project-a')).toBe('NOT_FOUND');
    expect(await read(ofB, 'project-b')).toBe('PENDING');
  });

  it.each([5_000_000_000, 3_000_000, 0, -1, 1.5])('seed count %d is refused with 400', async (count) => {
    const res = await direct('/_sandbox/seed', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ vendor: 'mixpanel', count }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ message: 'count must be a whole number from 1 to 10000' });
  });

  it('a request body over 1 MiB is a 413, streamed or declared, and is not kept', async () => {
    const big = 'x'.repeat(5 << 20);
    const declared = await direct('/liveperson/api/account/1/personal-data-deletion', {
      method: 'POST',
      headers: { ...json, authorization: 'Bearer y' },
      body: big,
    });
    expect(declared.status).toBe(413);
    const streamed = await direct('/liveperson/api/account/1/personal-data-deletion', {
      method: 'POST',
      headers: { ...json, authorization: 'Bearer y' },
      body: new Blob([big]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await alive()).toBe(200);
  });

  it('control requests without content-type application/json (what a page can send) are refused with 415', async () => {
    const before = sandbox.now();
    const pageCanSend: Record<string, string>[] = [
      {},
      { 'content-type': 'text/plain' },
      { 'content-type': 'application/x-www-form-urlencoded' },
    ];
    for (const headers of pageCanSend) {
      const res = await direct('/_sandbox/clock', { method: 'POST', headers, body: '{"advanceMs":86400000}' });
      expect(res.status).toBe(415);
    }
    expect(sandbox.now() - before).toBeLessThan(60_000); // the clock did not move
    const ok = await direct('/_sandbox/clock', { method: 'POST', headers: json, body: '{"advanceMs":0}' });
    expect(ok.status).toBe(200);
  });
});
