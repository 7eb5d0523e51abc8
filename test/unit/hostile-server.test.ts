/**
 * A hostile or broken server on loopback (real node:http): huge bodies, redirects, bodies that drip or break off,
 * nonsense Retry-After, and refusals whose explaining status read fails. Each case failed before the fix.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  ApiStatusError,
  ConflictError,
  ConnectionError,
  createLivePersonClient,
  InvalidInputError,
  ServerError,
  TimeoutError,
} from '../../src/index.js';
import { scriptedServer, sendJson } from '../helpers/http-server.js';
import { mixpanelAt } from '../helpers/recording-fetch.js';

/** Streams `total` bytes of `x` in 64 KiB chunks, honouring backpressure; records how many bytes were accepted. */
async function stream(res: ServerResponse, total: number, written: { bytes: number }) {
  const chunk = Buffer.alloc(1 << 16, 'x');
  res.on('error', () => {});
  while (written.bytes < total && !res.destroyed) {
    written.bytes += chunk.length;
    if (!res.write(chunk))
      await new Promise<void>((r) => {
        res.once('drain', r);
        res.once('close', r);
      });
  }
  res.end();
}

/** Both ways a request can leave: undici's request() (the default) and a caller's own fetch. */
const SENDERS: [string, { fetch?: typeof fetch }][] = [
  ['undici (default)', {}],
  ['a caller fetch', { fetch: (...args) => globalThis.fetch(...args) }],
];

describe.each(SENDERS)('sent through %s', (_name, sender) => {
  describe('response bodies are read with a cap', () => {
    it('a 400 with a 200 MB chunked body: reading stops past 1 MiB, the error keeps a short preview', async () => {
      const written = { bytes: 0 };
      const srv = await scriptedServer(async (_req, res) => {
        res.writeHead(400, { 'content-type': 'text/plain' });
        await stream(res, 200 << 20, written);
      });
      const { mp } = mixpanelAt(srv.url, sender);
      const err = (await mp.getDeletion('t').catch((e: unknown) => e)) as ApiStatusError;
      expect(err.status).toBe(400);
      expect(typeof err.body).toBe('string');
      expect((err.body as string).length).toBeLessThan(3000);
      expect(err.body).toMatch(/truncated: the body is longer than 1048576 bytes/);
      await new Promise((r) => setTimeout(r, 100));
      // the server could hand over little more than the cap plus socket buffers before the client hung up
      expect(written.bytes).toBeLessThan(16 << 20);
    });

    it('a 2xx longer than maxResponseBytes (declared by Content-Length) is an ApiStatusError, not parsed', async () => {
      const written = { bytes: 0 };
      const srv = await scriptedServer(async (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(50 << 20) });
        await stream(res, 50 << 20, written);
      });
      const { mp } = mixpanelAt(srv.url, { ...sender, maxResponseBytes: 4096 });
      const err = await mp.getDeletion('t').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiStatusError);
      expect(err).toMatchObject({ status: 200, attempts: 1 });
      expect((err as Error).message).toMatch(/longer than 4096 bytes \(maxResponseBytes\); not read further/);
      expect(srv.seen).toHaveLength(1); // the same answer again would not help: not retried
    });

    it('maxResponseBytes must be a positive integer', () => {
      expect(() => mixpanelAt('http://127.0.0.1:9', { ...sender, maxResponseBytes: 0 })).toThrow(InvalidInputError);
    });
  });

  describe('redirects are never followed', () => {
    it('a 301 to another host is an error naming the (redacted) Location; the other host sees nothing', async () => {
      const other = await scriptedServer((_req, res) => sendJson(res, 200, { status: 'ok', results: {} }));
      const srv = await scriptedServer((req, res) => {
        res.writeHead(301, { location: `${other.url}/steal${req.url}` });
        res.end();
      });
      const { mp, logs } = mixpanelAt(srv.url, sender);
      const err = await mp.getDeletion('t').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiStatusError);
      expect(err).toMatchObject({ status: 301 });
      expect((err as Error).message).toMatch(/redirect to http:\/\/127\.0\.0\.1:\d+\/steal\/.*token=\[REDACTED\]/);
      expect((err as Error).message).not.toContain('ptok-faults');
      expect(other.seen).toHaveLength(0);
      expect(logs.map((l) => l.status)).toEqual([301]);
    });

    it('a redirect whose Location is not a URL is still a redirect error, not a connection failure', async () => {
      const srv = await scriptedServer((_req, res) => {
        res.writeHead(302, { location: 'http://[::1/x?token=ptok-faults' });
        res.end();
      });
      const err = await mixpanelAt(srv.url, sender)
        .mp.getDeletion('t')
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiStatusError);
      expect(err).toMatchObject({ status: 302 });
      expect((err as Error).message).toContain('a redirect to http://[::1/x?token=[REDACTED]');
    });

    it('a 307 on the cancel DELETE to another origin is not followed, so the cancel is not reported as done', async () => {
      const other = await scriptedServer((_req, res) => {
        res.writeHead(200);
        res.end();
      });
      const srv = await scriptedServer((_req, res) => {
        res.writeHead(307, { location: `${other.url}/anything` });
        res.end();
      });
      const { mp } = mixpanelAt(srv.url, sender);
      const err = await mp.cancelDeletion('t').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiStatusError);
      expect(err).toMatchObject({ status: 307, operation: 'cancelDeletion' });
      expect(other.seen).toHaveLength(0);
    });
  });

  describe('a body that fails to arrive is a connection failure, retried and logged as one', () => {
    it('a body that drips past the deadline: TimeoutError after every attempt, logged without a status', async () => {
      const srv = await scriptedServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('{"status":"ok",');
        const drip = setInterval(() => (res.destroyed ? clearInterval(drip) : res.write(' ')), 20);
        res.on('close', () => clearInterval(drip));
      });
      const { mp, logs } = mixpanelAt(srv.url, { ...sender, timeoutMs: 150 });
      const err = await mp.getDeletion('t').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TimeoutError);
      expect((err as Error).message).toMatch(
        /response body did not arrive whole within 150 ms \(attempt 3, HTTP 200\)/,
      );
      expect(srv.seen).toHaveLength(3);
      expect(logs.map((l) => [l.status, l.error])).toEqual([
        [undefined, 'TimeoutError'],
        [undefined, 'TimeoutError'],
        [undefined, 'TimeoutError'],
      ]);
    });

    it('a connection reset mid-body: ConnectionError, retried, then the good answer', async () => {
      const srv = await scriptedServer((_req, res, _s, i) => {
        if (i > 0) return sendJson(res, 200, { status: 'ok', results: { status: 'PENDING' } });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
        res.write('{"status":"ok","res');
        setTimeout(() => res.socket?.destroy(), 20);
      });
      const { mp, logs } = mixpanelAt(srv.url, sender);
      await expect(mp.getDeletion('t')).resolves.toMatchObject({ status: 'PENDING' });
      expect(logs.map((l) => [l.status, l.error])).toEqual([
        [undefined, 'ConnectionError'],
        [200, undefined],
      ]);
    });

    it('a reset mid-body on every attempt ends as ConnectionError, not "could not be read"', async () => {
      const srv = await scriptedServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
        res.write('{"sta');
        setTimeout(() => res.socket?.destroy(), 10);
      });
      const { mp } = mixpanelAt(srv.url, sender);
      const err = await mp.getDeletion('t').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectionError);
      expect(err).not.toBeInstanceOf(TimeoutError);
      expect(err).toMatchObject({ attempts: 3 });
    });
  });

  describe('Retry-After and deadlines that would make the SDK misbehave', () => {
    it.each([
      ['-5', () => '-5'],
      ['a date in the past', () => new Date(Date.now() - 60_000).toUTCString()],
      ['0', () => '0'],
    ])('Retry-After %s: waits at least the backoff, never retries at once', async (_name, value) => {
      const srv = await scriptedServer((_req, res, _s, i) =>
        i === 0
          ? sendJson(res, 429, {}, { 'retry-after': value() })
          : sendJson(res, 200, { status: 'ok', results: { status: 'PENDING' } }),
      );
      const { mp } = mixpanelAt(srv.url, { ...sender, baseDelayMs: 200 });
      await mp.getDeletion('t');
      const wait = (srv.seen[1]?.at ?? 0) - (srv.seen[0]?.at ?? 0);
      expect(wait).toBeGreaterThanOrEqual(145); // 200 ms less at most 25 % jitter
    });

    it('a deadline beyond what a timer can hold (2^31 ms) is refused, on the client and per call', async () => {
      expect(() => mixpanelAt('http://127.0.0.1:9', { ...sender, timeoutMs: 2 ** 31 })).toThrow(
        /timeoutMs must be an integer from 1 to 2147483647/,
      );
      const srv = await scriptedServer((_req, res) => sendJson(res, 200, { status: 'ok', results: {} }));
      const { mp } = mixpanelAt(srv.url, sender);
      await expect(mp.getDeletion('t', { timeoutMs: 2 ** 31 })).rejects.toBeInstanceOf(InvalidInputError);
      await expect(mp.getDeletion('t', { timeoutMs: 2 ** 31 - 1 })).resolves.toBeDefined();
      expect(srv.seen).toHaveLength(1);
    });
  });
});

describe('a refused cancel whose status read fails still reports the refusal', () => {
  it('Mixpanel 409 then a failing status read: ConflictError with its ids, the ServerError as cause', async () => {
    const srv = await scriptedServer((req, res) =>
      req.method === 'DELETE'
        ? sendJson(res, 409, {
            status: 'error',
            error: { conflicting_distinct_ids: ['u1'], conflicting_task_ids: ['t9'], error: 'conflict' },
          })
        : sendJson(res, 503, { error: 'status backend down' }),
    );
    const { mp } = mixpanelAt(srv.url, { maxRetries: 0 });
    const err = (await mp.cancelDeletion('t').catch((e: unknown) => e)) as ConflictError;
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({ status: 409, conflictingDistinctIds: ['u1'], conflictingTaskIds: ['t9'] });
    expect(err.message).toMatch(/status read that would explain the refusal failed \(ServerError/);
    expect(err.cause).toBeInstanceOf(ServerError);
  });

  it('Mixpanel 405 then a failing status read: the 405 is thrown (not the read error)', async () => {
    const srv = await scriptedServer((req, res) =>
      req.method === 'DELETE' ? sendJson(res, 405, { error: 'not allowed' }) : sendJson(res, 500, {}),
    );
    const { mp } = mixpanelAt(srv.url, { maxRetries: 0 });
    const err = (await mp.cancelDeletion('t').catch((e: unknown) => e)) as ApiStatusError;
    expect(err).not.toBeInstanceOf(ServerError);
    expect(err).toMatchObject({ status: 405, operation: 'cancelDeletion' });
    expect(err.cause).toBeInstanceOf(ServerError);
  });

  it('LivePerson 409 and the request still NOT_STARTED: the refusal keeps its class', async () => {
    const srv = await scriptedServer((req, res) =>
      req.url?.endsWith('/cancel')
        ? sendJson(res, 409, { message: 'cannot cancel' })
        : sendJson(res, 200, [{ request_id: 7, status: 'NOT_STARTED' }]),
    );
    const lp = createLivePersonClient({ siteId: '1', auth: { bearer: 'bearer-x1' }, baseUrl: srv.url });
    const err = await lp.cancelDeletionRequest('7').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toMatch(/yet the request's status is NOT_STARTED/);
  });
});
