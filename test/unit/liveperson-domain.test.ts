import { describe, expect, it } from 'vitest';
import { ApiStatusError, createLivePersonClient, InvalidInputError } from '../../src/index.js';
import { scriptedServer, sendJson } from '../helpers/http-server.js';

describe('LivePerson domain discovery (Domain API, service rtbf)', () => {
  it('looks the host up once per client, without credentials, and calls https://{baseURI}', async () => {
    const domainApi = await scriptedServer((_req, res) =>
      sendJson(res, 200, { service: 'rtbf', account: '92186583', baseURI: 'va.data-mng.liveperson.net' }),
    );
    const vendorUrls: string[] = [];
    const fetchImpl = async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      const request = new Request(input, init);
      if (request.url.startsWith(domainApi.url)) return fetch(request);
      vendorUrls.push(request.url);
      return Response.json([{ request_id: 5, status: 'NOT_STARTED' }]);
    };
    const lp = createLivePersonClient({
      siteId: '92186583',
      auth: { bearer: 'b-secret-1' },
      domainApiBaseUrl: domainApi.url,
      fetch: fetchImpl as typeof fetch,
    });
    await lp.getDeletionRequest('5');
    await lp.listDeletionRequests();
    expect(domainApi.seen).toHaveLength(1);
    expect(domainApi.seen[0]?.url).toBe('/api/account/92186583/service/rtbf/baseURI.json?version=1.0');
    expect(domainApi.seen[0]?.headers.authorization).toBeUndefined();
    expect(vendorUrls).toEqual([
      'https://va.data-mng.liveperson.net/api/account/92186583/personal-data-deletion/5',
      'https://va.data-mng.liveperson.net/api/account/92186583/personal-data-deletion',
    ]);
  });

  it('a failed lookup is not cached; a host that is not a host name is refused', async () => {
    const answers = [
      () => ({ status: 503, body: { message: 'down' } }),
      () => ({ status: 200, body: { baseURI: 'evil.example/path?x' } }),
      () => ({ status: 200, body: { baseURIs: [{ service: 'rtbf', baseURI: 'lo.data-mng.liveperson.net' }] } }),
    ];
    const domainApi = await scriptedServer((_req, res, _s, i) => {
      const a = answers[i]?.() ?? { status: 500, body: {} };
      sendJson(res, a.status, a.body);
    });
    const seenVendor: string[] = [];
    const fetchImpl = async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      const request = new Request(input, init);
      if (request.url.startsWith(domainApi.url)) return fetch(request);
      seenVendor.push(request.url);
      return Response.json({ request_id: 5, status: 'DONE' });
    };
    const lp = createLivePersonClient({
      siteId: '92186583',
      auth: { bearer: 'b-secret-1' },
      domainApiBaseUrl: domainApi.url,
      fetch: fetchImpl as typeof fetch,
      maxRetries: 0,
    });
    await expect(lp.getDeletionRequest('5')).rejects.toThrow(/HTTP 503/);
    const unusable = await lp.getDeletionRequest('5').catch((e: unknown) => e);
    expect((unusable as Error).message).toMatch(/no usable host/);
    // a vendor-side problem, not the caller's input
    expect(unusable).toBeInstanceOf(ApiStatusError);
    expect(unusable).not.toBeInstanceOf(InvalidInputError);
    expect(unusable).toMatchObject({ status: 200, body: { baseURI: 'evil.example/path?x' } });
    await expect(lp.getDeletionRequest('5')).resolves.toMatchObject({ status: 'DONE' });
    expect(seenVendor).toEqual(['https://lo.data-mng.liveperson.net/api/account/92186583/personal-data-deletion/5']);
  });

  it('a host the Domain API names outside liveperson.net (or on another port) gets no token, unless allowed by name', async () => {
    const named = ['evil.example', 'va.data-mng.liveperson.net.evil.example', 'va.data-mng.liveperson.net:8443'];
    const domainApi = await scriptedServer((_req, res, _s, i) =>
      sendJson(res, 200, { service: 'rtbf', account: '92186583', baseURI: named[i] ?? 'proxy.corp.example:8443' }),
    );
    const reached: string[] = [];
    const fetchImpl = async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      const request = new Request(input, init);
      if (request.url.startsWith(domainApi.url)) return fetch(request);
      reached.push(`${request.url} ${request.headers.get('authorization')}`);
      return Response.json({ request_id: 5, status: 'DONE' });
    };
    const make = (allowedHosts?: string[]) =>
      createLivePersonClient({
        siteId: '92186583',
        auth: { bearer: 'b-secret-9' },
        domainApiBaseUrl: domainApi.url,
        fetch: fetchImpl as typeof fetch,
        maxRetries: 0,
        ...(allowedHosts ? { allowedHosts } : {}),
      });
    const lp = make();
    for (const host of named) {
      const err = await lp.getDeletionRequest('5').catch((e: unknown) => e);
      expect((err as Error).message).toContain(
        `the Domain API named ${host} for service rtbf, which is not a LivePerson host`,
      );
    }
    expect(reached).toEqual([]);
    await expect(make(['proxy.corp.example:8443']).getDeletionRequest('5')).resolves.toMatchObject({ status: 'DONE' });
    expect(reached).toEqual([
      'https://proxy.corp.example:8443/api/account/92186583/personal-data-deletion/5 Bearer b-secret-9',
    ]);
  });
});
