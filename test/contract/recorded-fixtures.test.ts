/**
 * Recorded exchanges replayed. test/fixtures/recorded/ holds what `privacy-deletions doctor --probe --record <dir>`
 * saved (from the sandbox here; fixtures recorded against the live APIs go in the same place): each answer must
 * still match its spec, and the SDK must read each one when a server answers with it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Exchange, Fixture } from '../../src/cli/doctor/exchanges.js';
import { driftsOf, loadSpecOperations, operationOf } from '../../src/cli/doctor/spec-check.js';
import { Redactor } from '../../src/core/redact.js';
import { createLivePersonClient, createMixpanelClient } from '../../src/index.js';
import { scriptedServer, sendJson } from '../helpers/http-server.js';

const DIR = resolve(import.meta.dirname, '../fixtures/recorded');
const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ file: f, ...(JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Fixture) }));

const exchangeOf = (f: Fixture): Exchange => ({
  method: f.request.method,
  url: f.request.url,
  status: f.response.status,
  headers: new Headers(f.response.headers),
  body: f.response.body === null ? '' : JSON.stringify(f.response.body),
});

/** A server that answers each request with the fixture of the same operation (and the same id, when it has one). */
async function replayServer(operations: Awaited<ReturnType<typeof loadSpecOperations>>) {
  return scriptedServer((req, res) => {
    const exchange = {
      method: req.method ?? 'GET',
      url: `http://replay${req.url}`,
      status: 0,
      headers: new Headers(),
      body: '',
    };
    const op = operationOf(operations, exchange);
    const last = new URL(exchange.url).pathname.replace(/\/$/, '').split('/').pop();
    const found =
      fixtures.find(
        (f) =>
          f.operation === op?.operationId && new URL(f.request.url).pathname.replace(/\/$/, '').endsWith(`/${last}`),
      ) ?? fixtures.find((f) => f.operation === op?.operationId);
    if (!found) return sendJson(res, 599, { error: `no fixture for ${req.method} ${req.url}` });
    sendJson(res, found.response.status, found.response.body ?? undefined);
  });
}

describe('recorded exchanges (doctor --record)', () => {
  it('there are fixtures for every operation doctor reads', () => {
    expect(new Set(fixtures.map((f) => f.operation))).toEqual(
      new Set(['get-deletion', 'fetchToken', 'listDeletionRequests', 'getDeletionRequest']),
    );
    for (const f of fixtures) expect(JSON.stringify(f)).not.toMatch(/rec-(project|oauth|secret)|sbx-[0-9a-f]{8}-/);
  });

  it('each recorded answer still matches its spec', async () => {
    const operations = await loadSpecOperations();
    for (const f of fixtures) {
      const e = exchangeOf(f);
      const op = operationOf(operations, e);
      expect(op?.operationId, f.file).toBe(f.operation);
      expect(driftsOf(op as NonNullable<typeof op>, e, f.account, new Redactor(), 50), f.file).toEqual({
        drifts: [],
        total: 0,
      });
    }
  });

  it('the SDK reads each recorded answer when a server replays it', async () => {
    const srv = await replayServer(await loadSpecOperations());
    const byOp = (op: string) => fixtures.find((f) => f.operation === op) as Fixture;
    const status = byOp('get-deletion');
    const trackingId = new URL(status.request.url).pathname.replace(/\/$/, '').split('/').pop() as string;
    const mp = createMixpanelClient({
      projectToken: 'p-replay',
      oauthToken: 'o-replay',
      baseUrl: srv.url,
      rateLimit: false,
    });
    const read = await mp.getDeletion(trackingId);
    expect(read.status).toBe((status.response.body as { results: { status: string } }).results.status);

    const lp = createLivePersonClient({
      siteId: '92186583',
      auth: { clientCredentials: { clientId: 'c-replay', clientSecret: 's-replay' } },
      baseUrl: srv.url,
      sentinelBaseUrl: srv.url,
      monthlyQuota: false,
    });
    const list = await lp.listDeletionRequests({ fromDate: '2026-12-03', toDate: '2026-12-03' });
    expect(list).toHaveLength((byOp('listDeletionRequests').response.body as unknown[]).length);
    const one = byOp('getDeletionRequest');
    const id = new URL(one.request.url).pathname.split('/').pop() as string;
    expect(String((await lp.getDeletionRequest(id)).request_id)).toBe(id);
    expect(srv.seen.some((s) => s.url.endsWith('/app/token'))).toBe(true);
  });
});
