/**
 * LivePerson credentials that work after OAuth 1.0: client credentials (Sentinel token endpoint), the Login Service
 * and a provider function, against a real loopback server: one token request for concurrent calls, renewal before
 * expiry, one fresh token after a 401, a clear error after a second, token-endpoint refusals not retried, and no
 * token or secret in any error.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { AuthenticationError, createLivePersonClient, type LivePersonClientOptions } from '../../src/index.js';
import { scriptedServer, sendJson } from '../helpers/http-server.js';
import { recordingFetch } from '../helpers/recording-fetch.js';

const SECRET = 'cc-secret-7f3a9b21';
const RECORD = [{ request_id: 7, status: 'NOT_STARTED', is_canceled: false }];

/** A LivePerson stand-in: a token endpoint issuing tok-1, tok-2, … and an API that accepts the tokens `accept` allows. */
async function vendor(accept: (token: string, apiCall: number) => boolean, tokenStatus = 200, expiresIn = 3600) {
  let issued = 0;
  let apiCalls = 0;
  const srv = await scriptedServer((req, res, seen) => {
    if (req.url?.startsWith('/sentinel/api/v2/account/1/app/token') || req.url?.startsWith('/api/account/1/login')) {
      if (tokenStatus !== 200) return sendJson(res, tokenStatus, { error: 'invalid_client', echo: seen.body });
      issued++;
      return req.url.includes('/login')
        ? sendJson(res, 200, { bearer: `login-${issued}` })
        : sendJson(res, 200, { access_token: `tok-${issued}`, token_type: 'Bearer', expires_in: expiresIn });
    }
    apiCalls++;
    const token = String(req.headers.authorization).replace(/^Bearer /, '');
    return accept(token, apiCalls) ? sendJson(res, 200, RECORD) : sendJson(res, 401, { message: `bad token ${token}` });
  });
  const client = (auth: LivePersonClientOptions['auth']) =>
    createLivePersonClient({
      siteId: '1',
      auth,
      baseUrl: srv.url,
      sentinelBaseUrl: srv.url,
      loginBaseUrl: srv.url,
      baseDelayMs: 10,
    });
  const tokenRequests = () => srv.seen.filter((s) => s.url.includes('/app/token') || s.url.includes('/login'));
  return { srv, client, tokenRequests, apiCalls: () => apiCalls };
}

const cc = { clientCredentials: { clientId: 'app-1', clientSecret: SECRET } };

describe('OAuth 2.0 client credentials', () => {
  it('one token request for ten concurrent calls, form-encoded as documented, sent as a Bearer', async () => {
    const v = await vendor((token) => token === 'tok-1');
    const lp = v.client(cc);
    const got = await Promise.all(Array.from({ length: 10 }, () => lp.getDeletionRequest('7')));
    expect(got.every((r) => r.request_id === 7)).toBe(true);
    expect(v.tokenRequests()).toHaveLength(1);
    const [token] = v.tokenRequests();
    expect(token?.method).toBe('POST');
    expect(token?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(token?.body))).toEqual({
      grant_type: 'client_credentials',
      client_id: 'app-1',
      client_secret: SECRET,
    });
  });

  it('a token is renewed shortly before it expires', async () => {
    const v = await vendor(() => true, 200, 1); // 1 s: used for half of it
    const lp = v.client(cc);
    await lp.getDeletionRequest('7');
    await lp.getDeletionRequest('7');
    expect(v.tokenRequests()).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 600));
    await lp.getDeletionRequest('7');
    expect(v.tokenRequests()).toHaveLength(2);
  });

  it('a 401 gets one fresh token and the call is repeated once', async () => {
    const v = await vendor((token) => token === 'tok-2'); // tok-1 is expired or revoked at the vendor
    const lp = v.client(cc);
    await expect(lp.getDeletionRequest('7')).resolves.toMatchObject({ request_id: 7 });
    expect(v.tokenRequests()).toHaveLength(2);
    expect(v.apiCalls()).toBe(2);
    await lp.getDeletionRequest('7'); // tok-2 is kept
    expect(v.tokenRequests()).toHaveLength(2);
  });

  it('several calls in flight meeting 401 with the old token renew it once, not once each', async () => {
    const v = await vendor((token) => token !== 'tok-1');
    const lp = v.client(cc);
    const got = await Promise.all(Array.from({ length: 8 }, () => lp.getDeletionRequest('7')));
    expect(got).toHaveLength(8);
    expect(v.tokenRequests()).toHaveLength(2);
  });

  it('a second 401 is an AuthenticationError that names the likely cause; no token or secret in it', async () => {
    const v = await vendor(() => false);
    const err = (await v
      .client(cc)
      .getDeletionRequest('7')
      .catch((e: unknown) => e)) as AuthenticationError;
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err.message).toMatch(/A fresh token was refused too: the app or user may lack the Data permission/);
    expect(v.tokenRequests()).toHaveLength(2);
    expect(v.apiCalls()).toBe(2);
    const rendered = [err.message, inspect(err, { depth: 8 }), JSON.stringify(err)].join('\n');
    for (const secret of ['tok-1', 'tok-2', SECRET]) expect(rendered).not.toContain(secret);
  });

  it.each([400, 401])(
    'the token endpoint answering %d is an AuthenticationError naming it, not retried',
    async (status) => {
      const v = await vendor(() => true, status);
      const err = (await v
        .client(cc)
        .getDeletionRequest('7')
        .catch((e: unknown) => e)) as AuthenticationError;
      expect(err).toBeInstanceOf(AuthenticationError);
      expect(err).toMatchObject({ operation: 'fetchToken', status, attempts: 1 });
      expect(err.message).toMatch(/\/sentinel\/api\/v2\/account\/1\/app\/token refused the client credentials/);
      expect(v.tokenRequests()).toHaveLength(1);
      expect(v.apiCalls()).toBe(0);
      expect([err.message, JSON.stringify(err), inspect(err, { depth: 8 })].join('\n')).not.toContain(SECRET);
    },
  );

  it('without sentinelBaseUrl the token host is found through the Domain API (service sentinel)', async () => {
    const rec = recordingFetch((request) => {
      const url = new URL(request.url);
      if (url.pathname.endsWith('/service/sentinel/baseURI.json'))
        return Response.json({ service: 'sentinel', account: '1', baseURI: 'va.sentinel.liveperson.net' });
      if (url.pathname.endsWith('/app/token')) return Response.json({ access_token: 'tok-d', expires_in: 3600 });
      return Response.json(RECORD);
    });
    const lp = createLivePersonClient({
      siteId: '1',
      auth: cc,
      domain: 'va.data-mng.liveperson.net',
      fetch: rec.fetch,
    });
    await lp.getDeletionRequest('7');
    expect(rec.requests.map((r) => new URL(r.url).host)).toEqual([
      'api.liveperson.net',
      'va.sentinel.liveperson.net',
      'va.data-mng.liveperson.net',
    ]);
    expect(rec.requests[2]?.headers.get('authorization')).toBe('Bearer tok-d');
  });
});

describe('Login Service and provider functions', () => {
  it('login: a session bearer, logged in again once after a 401', async () => {
    const v = await vendor((token) => token === 'login-2');
    const lp = v.client({ login: { username: 'privacy-bot', password: 'pw-9c1e4d' } });
    await expect(lp.getDeletionRequest('7')).resolves.toMatchObject({ request_id: 7 });
    const logins = v.tokenRequests();
    expect(logins).toHaveLength(2);
    expect(logins[0]?.url).toBe('/api/account/1/login?v=1.3');
    expect(JSON.parse(logins[0]?.body ?? '{}')).toEqual({ username: 'privacy-bot', password: 'pw-9c1e4d' });
  });

  it('a provider function is asked before each call and once more after a 401', async () => {
    const v = await vendor((token) => token === 'p-2');
    let n = 0;
    const lp = v.client({ bearer: async () => `p-${++n}` });
    await expect(lp.getDeletionRequest('7')).resolves.toMatchObject({ request_id: 7 });
    expect(n).toBe(2);
  });
});
