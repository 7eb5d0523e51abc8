import { describe, expect, inject, it } from 'vitest';
import {
  AuthenticationError,
  ConflictError,
  createMixpanelClient,
  type MixpanelClientOptions,
  mixpanelOAuthTokenExpiry,
  PermissionDeniedError,
  RateLimitError,
} from '../../src/index.js';
import { contractFetch, type PreferRule } from '../helpers/contract-fetch.js';

const PROJECT_TOKEN = 'mp-project-token-5f1e2d';
const OAUTH_TOKEN = 'mp-oauth-secret-9a8b7c';
const DELETION = /^\/data-deletions\/v3\.0\/[^/]+$/;

function client(rules: PreferRule[] = [], extra: Partial<MixpanelClientOptions> = {}) {
  const cf = contractFetch(rules);
  const mp = createMixpanelClient({
    ...extra,
    projectToken: PROJECT_TOKEN,
    oauthToken: OAUTH_TOKEN,
    baseUrl: inject('prismMixpanel'),
    fetch: cf.fetch,
    rateLimit: false,
    maxRetries: 0,
    // The spec's own paths (no trailing slash), so Prism checks every request and answer against the spec; the
    // default slash form differs only in that character (test/unit/vendor-shapes.test.ts).
    trailingSlash: false,
  });
  return { mp, cf };
}

describe('Mixpanel against a Prism mock of the overlaid spec', () => {
  it('cancelDeletion: 204 → cancelled, with DELETE, token query and bearer header', async () => {
    const { mp, cf } = client();
    const result = await mp.cancelDeletion('35bd8477-f71f-4088-af55-c88a6fb4ad4b');
    expect(result).toMatchObject({ vendor: 'mixpanel', outcome: 'cancelled', httpStatus: 204 });
    expect(cf.exchanges).toHaveLength(1);
    const [sent] = cf.exchanges;
    expect(sent?.method).toBe('DELETE');
    expect(new URL(sent?.url ?? '').searchParams.get('token')).toBe(PROJECT_TOKEN);
    expect(sent?.headers.get('authorization')).toBe(`Bearer ${OAUTH_TOKEN}`);
  });

  it.each([
    ['revoked', 'already_cancelled', 'REVOKED'],
    ['started', 'too_late', 'STARTED'],
    ['success', 'too_late', 'SUCCESS'],
    ['failure', 'too_late', 'FAILURE'],
    ['not_found', 'not_found', 'NOT_FOUND'],
  ])('cancelDeletion: 405 then status %s → %s', async (example, outcome, vendorStatus) => {
    const { mp, cf } = client([
      ['DELETE', DELETION, 'code=405'],
      ['GET', DELETION, `example=${example}`],
    ]);
    const result = await mp.cancelDeletion('task-1');
    expect(result).toMatchObject({ outcome, vendorStatus, httpStatus: 405 });
    expect(cf.exchanges.map((e) => `${e.method} ${e.status}`)).toEqual(['DELETE 405', 'GET 200']);
  });

  it('cancelDeletion: a refusal the status does not explain (still PENDING) is thrown, not guessed', async () => {
    const { mp } = client([
      ['DELETE', DELETION, 'code=405'],
      ['GET', DELETION, 'example=pending'],
    ]);
    await expect(mp.cancelDeletion('task-1')).rejects.toThrow(/status is PENDING/);
  });

  it.each([
    [401, AuthenticationError],
    [403, PermissionDeniedError],
    [429, RateLimitError],
  ])('cancelDeletion: %i throws %s', async (code, Kind) => {
    const { mp } = client([['DELETE', DELETION, `code=${code}`]]);
    const err = await mp.cancelDeletion('task-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Kind);
    expect(err).toMatchObject({ vendor: 'mixpanel', operation: 'cancelDeletion', status: code, attempts: 1 });
  });

  it('a 401 names the one-year token lifetime and, given the issue day, when this token expired', async () => {
    const plain = await client([['DELETE', DELETION, 'code=401']])
      .mp.cancelDeletion('task-1')
      .catch((e: unknown) => e);
    expect((plain as Error).message).toMatch(
      /expire a year after they are made; a project owner or admin makes a new one/,
    );
    const dated = await client([['DELETE', DELETION, 'code=401']], { oauthTokenIssuedAt: '2025-11-01' })
      .mp.cancelDeletion('task-1')
      .catch((e: unknown) => e);
    expect(dated).toBeInstanceOf(AuthenticationError);
    expect((dated as Error).message).toContain('this one was issued 2025-11-01 and expired 2026-11-01');
    expect(mixpanelOAuthTokenExpiry('2024-02-29').toISOString()).toBe('2025-03-01T00:00:00.000Z');
    expect(() => client([], { oauthTokenIssuedAt: '01/11/2025' })).toThrow(/oauthTokenIssuedAt must be yyyy-mm-dd/);
  });

  it('getDeletion reads status and fields', async () => {
    const { mp } = client([['GET', DELETION, 'example=staging']]);
    const d = await mp.getDeletion('35bd8477-f71f-4088-af55-c88a6fb4ad4b');
    expect(d).toMatchObject({ status: 'STAGING', complianceType: 'GDPR', distinctIdCount: 1 });
  });

  it('createDeletion sends a valid body and returns the task id', async () => {
    const { mp, cf } = client();
    const created = await mp.createDeletion({ distinctIds: ['u1', 'u2'], complianceType: 'CCPA' });
    expect(created.taskId).toBe('job-tracking-id');
    expect(cf.exchanges[0]?.method).toBe('POST');
  });

  it('createDeletion: 409 throws ConflictError with the conflicting ids parsed', async () => {
    const { mp } = client([['POST', /^\/data-deletions\/v3\.0$/, 'code=409']]);
    const err = await mp.createDeletion({ distinctIds: ['distinct_id_1'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({
      status: 409,
      conflictingDistinctIds: ['distinct_id_1'],
      conflictingTaskIds: ['1583792934719392965'],
    });
  });

  it('createRetrieval and getRetrieval', async () => {
    const { mp } = client();
    const created = await mp.createRetrieval({
      distinctIds: ['u1'],
      complianceType: 'CCPA',
      disclosureType: 'Categories',
    });
    expect(created.taskId).toBe('job-tracking-id');
    const r = await mp.getRetrieval(created.taskId);
    expect(typeof r.status).toBe('string');
    expect(r.trackingId).toBe('job-tracking-id');
  });

  it('a 2000-id deletion (maxDistinctIdsPerRequest raised from 1999) is accepted by the spec', async () => {
    const { mp } = client([], { maxDistinctIdsPerRequest: 2000 });
    const ids = Array.from({ length: 2000 }, (_, i) => `user-${i}`);
    await expect(mp.createDeletion({ distinctIds: ids })).resolves.toMatchObject({ taskId: 'job-tracking-id' });
  });
});
