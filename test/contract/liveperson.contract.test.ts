import { describe, expect, inject, it } from 'vitest';
import {
  AuthenticationError,
  createLivePersonClient,
  type LivePersonAuth,
  MonthlyQuotaError,
  PermissionDeniedError,
  ServerError,
} from '../../src/index.js';
import { contractFetch, type PreferRule } from '../helpers/contract-fetch.js';

const SITE = '92186583';
const BEARER = 'lp-bearer-session-token-77aa';
const OAUTH1 = {
  consumerKey: 'ck-d392e7ff',
  consumerSecret: 'cs-5ecret-1',
  token: 'tk-61adad31',
  tokenSecret: 'ts-5ecret-2',
};
const ONE = /\/personal-data-deletion\/\d+$/;
const CANCEL = /\/personal-data-deletion\/\d+\/cancel$/;
const COLLECTION = /\/personal-data-deletion$/;

function client(rules: PreferRule[] = [], auth: LivePersonAuth = { bearer: BEARER }) {
  const cf = contractFetch(rules);
  const lp = createLivePersonClient({
    siteId: SITE,
    auth,
    baseUrl: inject('prismLivePerson'),
    fetch: cf.fetch,
    maxRetries: 0,
  });
  return { lp, cf };
}

describe('LivePerson against a Prism mock of the hand-written spec', () => {
  it('cancelDeletionRequest: is_canceled true → cancelled (bearer auth)', async () => {
    const { lp, cf } = client();
    const result = await lp.cancelDeletionRequest('7723');
    expect(result).toMatchObject({
      vendor: 'liveperson',
      requestId: '7723',
      outcome: 'cancelled',
      vendorStatus: 'CANCELED',
      httpStatus: 200,
    });
    expect(cf.exchanges[0]?.method).toBe('POST');
    expect(new URL(cf.exchanges[0]?.url ?? '').pathname).toBe(
      `/api/account/${SITE}/personal-data-deletion/7723/cancel`,
    );
    expect(cf.exchanges[0]?.headers.get('authorization')).toBe(`Bearer ${BEARER}`);
  });

  it('cancelDeletionRequest with OAuth 1.0a: a signed HMAC-SHA1 Authorization header', async () => {
    const { lp, cf } = client([], { oauth1: OAUTH1 });
    await expect(lp.cancelDeletionRequest(7723)).resolves.toMatchObject({ outcome: 'cancelled' });
    const header = cf.exchanges[0]?.headers.get('authorization') ?? '';
    expect(header).toMatch(/^OAuth /);
    expect(header).toContain('oauth_signature_method="HMAC-SHA1"');
    expect(header).toContain(`oauth_consumer_key="${OAUTH1.consumerKey}"`);
    expect(header).toMatch(/oauth_signature="[^"]+"/);
    expect(header).not.toContain(OAUTH1.consumerSecret);
    expect(header).not.toContain(OAUTH1.tokenSecret);
  });

  it.each([
    ['example=refused', 'canceled', 'already_cancelled', 'CANCELED', 200],
    ['example=refused', 'in_progress', 'too_late', 'IN_PROGRESS', 200],
    ['code=409', 'done', 'too_late', 'DONE', 409],
    ['code=400', 'canceled', 'already_cancelled', 'CANCELED', 400],
  ])('cancel answered %s, status %s → %s', async (cancelPrefer, getExample, outcome, vendorStatus, httpStatus) => {
    const { lp, cf } = client([
      ['POST', CANCEL, cancelPrefer],
      ['GET', ONE, `example=${getExample}`],
    ]);
    const result = await lp.cancelDeletionRequest('123');
    expect(result).toMatchObject({ outcome, vendorStatus, httpStatus });
    expect(cf.exchanges.map((e) => e.method)).toEqual(['POST', 'GET']);
  });

  it('cancel 404 and status 404 → not_found', async () => {
    const { lp } = client([
      ['POST', CANCEL, 'code=404'],
      ['GET', ONE, 'code=404'],
    ]);
    await expect(lp.cancelDeletionRequest('999')).resolves.toMatchObject({ outcome: 'not_found', httpStatus: 404 });
  });

  it('a refusal while the request is still NOT_STARTED is thrown, not guessed', async () => {
    const { lp } = client([
      ['POST', CANCEL, 'example=refused'],
      ['GET', ONE, 'example=not_started'],
    ]);
    await expect(lp.cancelDeletionRequest('23')).rejects.toThrow(/status is NOT_STARTED/);
  });

  it.each([
    [401, AuthenticationError],
    [403, PermissionDeniedError],
    [500, ServerError],
  ])('cancel %i throws %s', async (code, Kind) => {
    const { lp } = client([['POST', CANCEL, `code=${code}`]]);
    const err = await lp.cancelDeletionRequest('7723').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Kind);
    expect(err).toMatchObject({ vendor: 'liveperson', operation: 'cancelDeletionRequest', status: code });
  });

  it('a 401 with OAuth 1.0 keys says LivePerson ended OAuth 1.0 and what to use instead; with a bearer it does not', async () => {
    const oauth = await client([['POST', CANCEL, 'code=401']], { oauth1: OAUTH1 })
      .lp.cancelDeletionRequest('7723')
      .catch((e: unknown) => e);
    expect(oauth).toBeInstanceOf(AuthenticationError);
    expect((oauth as Error).message).toMatch(
      /LivePerson ended OAuth 1\.0 on 2026-05-31: use OAuth 2\.0 client credentials \(auth: \{ clientCredentials \}\)/,
    );
    const bearer = await client([['POST', CANCEL, 'code=401']])
      .lp.cancelDeletionRequest('7723')
      .catch((e: unknown) => e);
    expect(bearer).toBeInstanceOf(AuthenticationError);
    expect((bearer as Error).message).not.toContain('OAuth 1.0');
  });

  it('create 429 throws MonthlyQuotaError at once, saying it is the monthly quota', async () => {
    const { cf } = client([['POST', COLLECTION, 'code=429']]);
    const lpRetrying = createLivePersonClient({
      siteId: SITE,
      auth: { bearer: BEARER },
      baseUrl: inject('prismLivePerson'),
      fetch: cf.fetch,
      maxRetries: 2,
    });
    const err = await lpRetrying
      .createDeletionRequest({ consumer: ['7524a955-db4b-4a6c-b2b4-66f520a7895e'] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MonthlyQuotaError);
    expect((err as Error).message).toMatch(/monthly .*quota/);
    expect(err).toMatchObject({ attempts: 1 });
    expect(cf.exchanges).toHaveLength(1);
  });

  it('getDeletionRequest accepts the array-shaped body', async () => {
    const { lp } = client([['GET', ONE, 'example=done']]);
    await expect(lp.getDeletionRequest('7')).resolves.toMatchObject({ request_id: 7, status: 'DONE' });
  });

  it('listDeletionRequests sends valid filters', async () => {
    const { lp, cf } = client();
    const list = await lp.listDeletionRequests({
      status: 'NOT_STARTED',
      fromDate: '2026-01-01',
      toDate: new Date('2026-11-01T00:00:00Z'),
    });
    expect(list.map((r) => r.status)).toEqual(['IN_PROGRESS', 'NOT_STARTED', 'CANCELED']);
    const q = new URL(cf.exchanges[0]?.url ?? '').searchParams;
    expect([q.get('status'), q.get('fromDate'), q.get('toDate')]).toEqual(['NOT_STARTED', '2026-01-01', '2026-11-01']);
  });

  it('createDeletionRequest sends one deletion type and returns the request', async () => {
    const { lp, cf } = client();
    const created = await lp.createDeletionRequest({ conversation: ['0345bf7d-08dc-4e61-8a11-e566e3bcd787'] });
    expect(created).toMatchObject({ request_id: 127223, is_canceled: false });
    expect(cf.exchanges[0]?.headers.get('content-type')).toMatch(/application\/json/);
  });
});
