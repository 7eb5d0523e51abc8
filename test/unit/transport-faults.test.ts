/**
 * Fault injection against a real node:http server on loopback: retries, Retry-After, timeouts, resets, and the
 * statuses that must never be retried. Waits are asserted with measured bounds, not sleeps.
 */
import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter } from '../../src/core/transport.js';
import {
  AbortedError,
  ApiStatusError,
  BadRequestError,
  ConflictError,
  ConnectionError,
  createLivePersonClient,
  createMixpanelClient,
  InvalidInputError,
  MonthlyQuotaError,
  RateLimitError,
  ServerError,
  TimeoutError,
} from '../../src/index.js';
import { type Handler, scriptedServer, sendJson } from '../helpers/http-server.js';
import { mixpanelAt } from '../helpers/recording-fetch.js';

const gaps = (times: number[]) => times.slice(1).map((t, i) => t - (times[i] as number));

const STATUS_GET = (res: Parameters<Handler>[1]) =>
  sendJson(res, 200, { status: 'ok', results: { status: 'PENDING', tracking_id: 't' } });

describe('retries', () => {
  it('5xx then success: retried with backoff, succeeds on the third attempt', async () => {
    const srv = await scriptedServer((_req, res, _s, i) =>
      i < 2 ? sendJson(res, i === 0 ? 502 : 503, { error: 'busy' }) : STATUS_GET(res),
    );
    const { mp, logs } = mixpanelAt(srv.url);
    await expect(mp.getDeletion('t')).resolves.toMatchObject({ status: 'PENDING' });
    expect(srv.seen).toHaveLength(3);
    expect(logs.map((l) => [l.attempt, l.status])).toEqual([
      [1, 502],
      [2, 503],
      [3, 200],
    ]);
    const waits = gaps(srv.seen.map((s) => s.at));
    // base 40 ms, doubling, up to 25 % jitter below
    expect(waits[0]).toBeGreaterThanOrEqual(29);
    expect(waits[1]).toBeGreaterThanOrEqual(59);
  });

  it('persistent 500: gives up after 2 retries and says how many attempts were made', async () => {
    const srv = await scriptedServer((_req, res) => sendJson(res, 500, { error: 'boom' }));
    const { mp } = mixpanelAt(srv.url);
    const err = await mp.cancelDeletion('t').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect(err).toMatchObject({ status: 500, attempts: 3, operation: 'cancelDeletion' });
    expect(srv.seen).toHaveLength(3);
  });

  /** One 429 carrying `retryAfter()` (read when it is sent), then success: how long the SDK waited, and its log. */
  async function waitAfter429(retryAfter: () => string, body: unknown = {}) {
    const srv = await scriptedServer((_req, res, _s, i) =>
      i === 0 ? sendJson(res, 429, body, { 'retry-after': retryAfter() }) : STATUS_GET(res),
    );
    const { mp, logs } = mixpanelAt(srv.url);
    await mp.getDeletion('t');
    const [wait] = gaps(srv.seen.map((s) => s.at));
    return { wait, logs };
  }

  it('429 with Retry-After: 1 (seconds) waits about a second', async () => {
    const { wait, logs } = await waitAfter429(() => '1', {
      error: 'Too Many Requests, this API is limited to 1 req/s',
    });
    expect(wait).toBeGreaterThanOrEqual(990);
    expect(wait).toBeLessThan(1500);
    expect(logs[0]?.retryInMs).toBe(1000);
  });

  it('429 with Retry-After as an HTTP date waits until that date', async () => {
    const { wait, logs } = await waitAfter429(() => new Date(Date.now() + 2000).toUTCString());
    // HTTP dates have whole-second resolution: the wait is between 1 and 2 seconds
    expect(wait).toBeGreaterThanOrEqual(990);
    expect(wait).toBeLessThan(2100);
    expect(logs[0]?.retryInMs).toBeGreaterThan(900);
  });

  it('a Retry-After beyond maxRetryAfterMs is not waited for', async () => {
    const srv = await scriptedServer((_req, res) => sendJson(res, 429, {}, { 'retry-after': '3600' }));
    const { mp } = mixpanelAt(srv.url);
    const err = await mp.getDeletion('t').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err).toMatchObject({ attempts: 1 });
  });

  it('connection reset is retried for reads and cancels, not for creates', async () => {
    const srv = await scriptedServer((req, res, _s, i) => {
      if (i === 0 || req.method === 'POST') res.socket?.destroy();
      else STATUS_GET(res);
    });
    const { mp } = mixpanelAt(srv.url);
    await expect(mp.getDeletion('t')).resolves.toMatchObject({ status: 'PENDING' });
    expect(srv.seen).toHaveLength(2);
    const err = await mp.createDeletion({ distinctIds: ['u1'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).not.toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ attempts: 1, operation: 'createDeletion' });
    expect(srv.seen).toHaveLength(3);
  });

  it('a hang past the deadline raises TimeoutError naming vendor and operation, after retries', async () => {
    const srv = await scriptedServer(() => {
      /* never answers */
    });
    const { mp } = mixpanelAt(srv.url, { timeoutMs: 150, maxRetries: 1 });
    const started = performance.now();
    const err = await mp.cancelDeletion('t').catch((e: unknown) => e);
    const took = performance.now() - started;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toMatch(/^mixpanel cancelDeletion: no response within 150 ms/);
    expect(err).toMatchObject({ attempts: 2, vendor: 'mixpanel' });
    expect(took).toBeGreaterThanOrEqual(300);
    expect(took).toBeLessThan(1500);
  });

  it('a per-call timeout overrides the client default', async () => {
    const srv = await scriptedServer(() => {});
    const { mp } = mixpanelAt(srv.url, { timeoutMs: 60_000, maxRetries: 0 });
    await expect(mp.getDeletion('t', { timeoutMs: 100 })).rejects.toBeInstanceOf(TimeoutError);
  });

  it("the caller's AbortSignal stops the call without retrying", async () => {
    const srv = await scriptedServer(() => {});
    const { mp } = mixpanelAt(srv.url);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const err = await mp.getDeletion('t', { signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect(srv.seen).toHaveLength(1);
  });

  it.each([400, 401, 403, 404, 405, 409, 422])('HTTP %i is never retried', async (status) => {
    const srv = await scriptedServer((_req, res) => sendJson(res, status, { error: 'no' }));
    const { mp } = mixpanelAt(srv.url);
    const err = await mp.getDeletion('t').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiStatusError);
    expect(err).toMatchObject({ status, attempts: 1 });
    expect(srv.seen).toHaveLength(1);
  });

  it('LivePerson 429 raises the quota error at once', async () => {
    const srv = await scriptedServer((_req, res) =>
      sendJson(res, 429, { message: 'threshold reached' }, { 'retry-after': '1' }),
    );
    const lp = createLivePersonClient({ siteId: '92186583', auth: { bearer: 'b-faults' }, baseUrl: srv.url });
    const err = await lp.cancelDeletionRequest('1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MonthlyQuotaError);
    expect((err as Error).message).toMatch(/monthly deletion-request quota.*not retried/);
    expect(srv.seen).toHaveLength(1);
  });

  it('Mixpanel 409 with conflicting ids: parsed and not retried', async () => {
    const srv = await scriptedServer((_req, res) =>
      sendJson(res, 409, {
        status: 'error',
        error: { conflicting_distinct_ids: ['u2'], conflicting_task_ids: ['t-9'], error: 'exists' },
      }),
    );
    const { mp } = mixpanelAt(srv.url);
    const err = await mp.createDeletion({ distinctIds: ['u1', 'u2'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({ conflictingDistinctIds: ['u2'], conflictingTaskIds: ['t-9'], attempts: 1 });
    expect(srv.seen).toHaveLength(1);
  });

  it("Mixpanel 409 with onConflict 'submit-rest': one new request for the ids not yet scheduled", async () => {
    const conflict = { conflicting_distinct_ids: ['u2'], conflicting_task_ids: ['t-9'], error: 'exists' };
    const srv = await scriptedServer((_req, res, seen) => {
      const ids = (JSON.parse(seen.body) as { distinct_ids: string[] }).distinct_ids;
      if (ids.includes('u2')) return sendJson(res, 409, { status: 'error', error: conflict });
      sendJson(res, 200, { status: 'ok', results: { task_id: 'task-rest' } });
    });
    const { mp } = mixpanelAt(srv.url);
    const created = await mp.createDeletion({ distinctIds: ['u1', 'u2', 'u3'], onConflict: 'submit-rest' });
    expect(created).toMatchObject({ taskId: 'task-rest', alreadyScheduled: { distinctIds: ['u2'], taskIds: ['t-9'] } });
    expect(srv.seen.map((x) => JSON.parse(x.body).distinct_ids)).toEqual([
      ['u1', 'u2', 'u3'],
      ['u1', 'u3'],
    ]);

    // every id already scheduled: nothing left to send, the conflict is raised after one request
    const all = await mp.createDeletion({ distinctIds: ['u2'], onConflict: 'submit-rest' }).catch((e: unknown) => e);
    expect(all).toBeInstanceOf(ConflictError);
    expect(srv.seen).toHaveLength(3);
  });

  it('a 200 that is not JSON is reported, not crashed on', async () => {
    const srv = await scriptedServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html', 'content-length': 6 });
      res.end('<html>');
    });
    const { mp } = mixpanelAt(srv.url);
    await expect(mp.getDeletion('t')).rejects.toThrow(/response body is not the JSON the operation expects/);
  });

  it('a 201 without a task id is an ApiStatusError carrying the body, not an input error', async () => {
    const srv = await scriptedServer((_req, res) => sendJson(res, 201, { status: 'ok', results: {} }));
    const { mp } = mixpanelAt(srv.url);
    const err = await mp.createDeletion({ distinctIds: ['u1'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiStatusError);
    expect(err).not.toBeInstanceOf(InvalidInputError);
    expect(err).toMatchObject({ status: 201, body: { status: 'ok', results: {} } });
    expect((err as Error).message).toMatch(/returned no task id/);
  });

  it('sends a User-Agent naming the package and version', async () => {
    const srv = await scriptedServer((_req, res) => STATUS_GET(res));
    const { mp } = mixpanelAt(srv.url);
    await mp.getDeletion('t');
    expect(srv.seen[0]?.headers['user-agent']).toMatch(/^privacy-deletions\/\d+\.\d+\.\d+ /);
  });

  it('400 is a BadRequestError', async () => {
    const srv = await scriptedServer((_req, res) => sendJson(res, 400, { error: 'bad' }));
    const { mp } = mixpanelAt(srv.url);
    await expect(mp.createDeletion({ distinctIds: ['u'] })).rejects.toBeInstanceOf(BadRequestError);
  });
});

describe('creates are not re-sent when the vendor may have processed them', () => {
  it('createDeletion: 503 is not retried, 429 (nothing processed) is', async () => {
    const srv = await scriptedServer((_req, res, _s, i) =>
      i === 0
        ? sendJson(res, 503, {})
        : i === 1
          ? sendJson(res, 429, {}, { 'retry-after': '0' })
          : sendJson(res, 201, { status: 'ok', results: { task_id: 'new-task' } }),
    );
    const { mp } = mixpanelAt(srv.url);
    await expect(mp.createDeletion({ distinctIds: ['u1'] })).rejects.toMatchObject({ status: 503, attempts: 1 });
    await expect(mp.createDeletion({ distinctIds: ['u1'] })).resolves.toMatchObject({ taskId: 'new-task' });
    expect(srv.seen).toHaveLength(3);
  });
});

describe('backoff arithmetic', () => {
  it('parseRetryAfter reads seconds and HTTP dates, ignores garbage', () => {
    const now = Date.parse('2026-11-22T10:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Sun, 22 Nov 2026 10:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('backoffDelay doubles from the base, caps, and jitters down by at most 25 %', () => {
    expect([0, 1, 2, 3, 4, 5].map((r) => backoffDelay(r, 500, 8000, () => 0))).toEqual([
      500, 1000, 2000, 4000, 8000, 8000,
    ]);
    expect(backoffDelay(2, 500, 8000, () => 1)).toBe(1500);
  });
});

describe('rate limiting', () => {
  it('20 concurrent Mixpanel cancels are spaced by the configured interval, in call order', async () => {
    const sentAt: number[] = [];
    const srv = await scriptedServer((_req, res) => {
      res.writeHead(204);
      res.end();
    });
    const fetchImpl: typeof fetch = async (input, init) => {
      sentAt.push(performance.now());
      return fetch(input, init);
    };
    const mp = createMixpanelClient({
      projectToken: `ptok-rate-${Math.random()}`,
      oauthToken: 'otok-rate',
      baseUrl: srv.url,
      fetch: fetchImpl,
      rateLimit: { requests: 1, intervalMs: 50 },
    });
    const ids = Array.from({ length: 20 }, (_, i) => `task-${i}`);
    const results = await Promise.all(ids.map((id) => mp.cancelDeletion(id)));
    expect(results.every((r) => r.outcome === 'cancelled')).toBe(true);
    expect(srv.seen.map((s) => s.url.split('?')[0])).toEqual(ids.map((id) => `/data-deletions/v3.0/${id}/`));
    const minGap = Math.min(...gaps(sentAt));
    expect(minGap).toBeGreaterThanOrEqual(49);
  });

  it('a first request slow to leave (a new connection) does not bring the second within one interval of it, nor draw 429s at a strict server', async () => {
    const arrivedAt: number[] = [];
    const srv = await scriptedServer((_req, res) => {
      const now = performance.now();
      const last = arrivedAt.at(-1);
      arrivedAt.push(now);
      // strict: an arrival less than 200 ms after the one before is too many
      if (last !== undefined && now - last < 200) return sendJson(res, 429, { error: 'Too Many Requests' });
      res.writeHead(204);
      res.end();
    });
    let calls = 0;
    const fetchImpl: typeof fetch = async (input, init) => {
      if (calls++ === 0) await new Promise((r) => setTimeout(r, 120)); // connecting, for the first request only
      return fetch(input, init);
    };
    const mp = createMixpanelClient({
      projectToken: `ptok-first-${Math.random()}`,
      oauthToken: 'otok-first',
      baseUrl: srv.url,
      fetch: fetchImpl,
      rateLimit: { requests: 1, intervalMs: 200 },
      maxRetries: 0,
    });
    const results = await Promise.all(['f1', 'f2', 'f3'].map((id) => mp.cancelDeletion(id)));
    expect(results.map((r) => r.outcome)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    for (const gap of gaps(arrivedAt)) expect(gap).toBeGreaterThanOrEqual(200);
  });

  it('the default is 1 request per second, shared by clients of the same project token', async () => {
    const sentAt: number[] = [];
    const srv = await scriptedServer((_req, res) => {
      sentAt.push(performance.now());
      res.writeHead(204);
      res.end();
    });
    const token = `ptok-shared-${Math.random()}`;
    const a = createMixpanelClient({ projectToken: token, oauthToken: 'o-1234', baseUrl: srv.url });
    const b = createMixpanelClient({ projectToken: token, oauthToken: 'o-1234', baseUrl: srv.url });
    await Promise.all([a.cancelDeletion('x1'), b.cancelDeletion('x2'), a.cancelDeletion('x3')]);
    for (const gap of gaps(sentAt)) expect(gap).toBeGreaterThanOrEqual(985);
  });

  it('queued calls respect their own deadlines and are never sent after them', async () => {
    const srv = await scriptedServer((_req, res) => {
      res.writeHead(204);
      res.end();
    });
    const mp = createMixpanelClient({
      projectToken: `ptok-deadline-${Math.random()}`,
      oauthToken: 'o-1234',
      baseUrl: srv.url,
      timeoutMs: 300,
      maxRetries: 0,
    });
    const settled = await Promise.allSettled([mp.cancelDeletion('a'), mp.cancelDeletion('b'), mp.cancelDeletion('c')]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    for (const s of settled.slice(1)) expect((s as PromiseRejectedResult).reason).toBeInstanceOf(TimeoutError);
    await new Promise((r) => setTimeout(r, 1200));
    expect(srv.seen).toHaveLength(1);
  });
});
