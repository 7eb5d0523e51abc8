/**
 * LivePerson's token endpoints (specs/liveperson/auth.openapi.yaml) against a Prism mock of that spec, with request
 * validation on: the SDK's client-credentials and login requests must be what the spec says, and the token Prism
 * answers must reach the Personal Data Deletion API (its own Prism mock) as the bearer.
 */
import { describe, expect, inject, it } from 'vitest';
import { AuthenticationError, createLivePersonClient, type LivePersonAuth } from '../../src/index.js';
import { contractFetch, type PreferRule } from '../helpers/contract-fetch.js';

function client(auth: LivePersonAuth, rules: PreferRule[] = []) {
  const cf = contractFetch(rules);
  const lp = createLivePersonClient({
    siteId: '92186583',
    auth,
    baseUrl: inject('prismLivePerson'),
    sentinelBaseUrl: inject('prismLivePersonAuth'),
    loginBaseUrl: inject('prismLivePersonAuth'),
    fetch: cf.fetch,
    maxRetries: 0,
  });
  return { lp, cf };
}

describe('LivePerson token endpoints against a Prism mock of the spec', () => {
  it('client credentials: a valid token request, and its token sent as the bearer to the deletion API', async () => {
    const { lp, cf } = client({ clientCredentials: { clientId: 'app-1', clientSecret: 'cc-contract-secret' } });
    await lp.listDeletionRequests();
    const [token, list] = cf.exchanges;
    expect(token).toMatchObject({ method: 'POST', status: 200 });
    expect(token?.url).toMatch(/\/sentinel\/api\/v2\/account\/92186583\/app\/token$/);
    expect(token?.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(list?.headers.get('authorization')).toBe('Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl');
  });

  it('login: a valid login request (?v=1.3, JSON body), its bearer sent to the deletion API', async () => {
    const { lp, cf } = client({ login: { username: 'privacy-bot', password: 'pw-contract' } });
    await lp.listDeletionRequests();
    const [login, list] = cf.exchanges;
    expect(login).toMatchObject({ method: 'POST', status: 200 });
    expect(login?.url).toMatch(/\/api\/account\/92186583\/login\?v=1\.3$/);
    expect(list?.headers.get('authorization')).toBe('Bearer 9c1e4d2fb07a4a55a3b0c1d2e3f4a5b6');
  });

  it('a 401 from the token endpoint is an AuthenticationError naming it; the deletion API is not called', async () => {
    const { lp, cf } = client({ clientCredentials: { clientId: 'app-1', clientSecret: 'cc-contract-secret' } }, [
      ['POST', /\/app\/token$/, 'code=401'],
    ]);
    const err = await lp.listDeletionRequests().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err).toMatchObject({ operation: 'fetchToken', status: 401, attempts: 1 });
    expect(cf.exchanges).toHaveLength(1);
    expect(JSON.stringify(err)).not.toContain('cc-contract-secret');
  });
});
