import { describe, expect, it } from 'vitest';
import { createLivePersonClient, createMixpanelClient, InvalidInputError } from '../../src/index.js';
import { recordingFetch, recordingLivePerson, recordingMixpanel } from '../helpers/recording-fetch.js';

const mixpanel = recordingMixpanel;
const liveperson = () => recordingLivePerson();

const BAD_PATH_IDS = ['', '   ', '.', '..', '%2e%2e', '%2E', '.%2e', 'a\nb', ' padded ', 'x'.repeat(513)];

describe('bad input is refused before any request is sent', () => {
  it.each(BAD_PATH_IDS)('Mixpanel tracking id %j', async (id) => {
    const { mp, rec } = mixpanel();
    for (const call of [mp.cancelDeletion, mp.getDeletion, mp.getRetrieval]) {
      await expect(call(id)).rejects.toBeInstanceOf(InvalidInputError);
    }
    expect(rec.requests).toHaveLength(0);
  });

  it.each([...BAD_PATH_IDS, 'abc', '12a', '-1', '1.5', '12345678901234567890'])(
    'LivePerson request id %j',
    async (id) => {
      const { lp, rec } = liveperson();
      await expect(lp.cancelDeletionRequest(id)).rejects.toBeInstanceOf(InvalidInputError);
      await expect(lp.getDeletionRequest(id)).rejects.toBeInstanceOf(InvalidInputError);
      expect(rec.requests).toHaveLength(0);
    },
  );

  it('Mixpanel distinct id lists: empty, too many (2000 by default, 2001 when raised), duplicates, non-strings', async () => {
    const { mp, rec } = mixpanel();
    const many = Array.from({ length: 2001 }, (_, i) => `u${i}`);
    await expect(mp.createDeletion({ distinctIds: [] })).rejects.toThrow(/distinctIds is empty/);
    // the create-deletion table's 1999 by default …
    await expect(mp.createDeletion({ distinctIds: many.slice(0, 2000) })).rejects.toThrow(/2000 ids; at most 1999/);
    // … the general note's 2000 when raised, and never more
    const raised = recordingMixpanel({ maxDistinctIdsPerRequest: 2000 });
    await expect(raised.mp.createDeletion({ distinctIds: many })).rejects.toThrow(/2001 ids; at most 2000/);
    expect(raised.rec.requests).toHaveLength(0);
    expect(() => recordingMixpanel({ maxDistinctIdsPerRequest: 2001 })).toThrow(
      /maxDistinctIdsPerRequest must be at most 2000/,
    );
    await expect(mp.createDeletion({ distinctIds: ['a', 'a'] })).rejects.toThrow(/repeats/);
    await expect(mp.createRetrieval({ distinctIds: [''] })).rejects.toThrow(/distinctIds\[0\]/);
    await expect(mp.createDeletion({ distinctIds: ['a'], complianceType: 'gdpr' as never })).rejects.toThrow(
      /complianceType/,
    );
    await expect(mp.createRetrieval({ distinctIds: ['a'], disclosureType: 'All' as never })).rejects.toThrow(
      /disclosureType/,
    );
    expect(rec.requests).toHaveLength(0);
  });

  it('LivePerson create bodies: one type, 1–100 unique ids', async () => {
    const { lp, rec } = liveperson();
    const ids = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`);
    await expect(lp.createDeletionRequest({ consumer: ids(101) })).rejects.toThrow(/101 ids; at most 100/);
    await expect(lp.createDeletionRequest({ consumer: [] })).rejects.toThrow(/empty/);
    await expect(lp.createDeletionRequest({ consumer: ['a'], conversation: ['b'] } as never)).rejects.toThrow(
      /exactly one deletion type/,
    );
    await expect(lp.createDeletionRequest({ visitor: ['a'] } as never)).rejects.toThrow(
      /unknown deletion type visitor/,
    );
    await expect(lp.createDeletionRequest({} as never)).rejects.toThrow(/exactly one deletion type/);
    await expect(lp.listDeletionRequests({ fromDate: '01/02/2026' })).rejects.toThrow(
      /fromDate must be yyyy-mm-dd, a unix timestamp or a Date; got "01\/02\/2026"/,
    );
    await expect(lp.listDeletionRequests({ toDate: '2026-02-31' })).rejects.toThrow(/toDate .* got "2026-02-31"/);
    await expect(lp.listDeletionRequests({ toDate: -5 })).rejects.toThrow(/toDate .* got -5/);
    await expect(lp.listDeletionRequests({ status: 'open; drop' })).rejects.toThrow(/status/);
    expect(rec.requests).toHaveLength(0);
  });

  it('client options: unknown region, bad site id, missing secrets, non-loopback http', () => {
    const rec = recordingFetch();
    const base = { projectToken: 'ptok-1234', oauthToken: 'otok-5678', fetch: rec.fetch };
    expect(() => createMixpanelClient({ ...base, region: 'apac' as never })).toThrow(
      /region must be one of us, eu, in/,
    );
    expect(() => createMixpanelClient({ ...base, oauthToken: '' })).toThrow(/oauthToken is missing/);
    expect(() => createMixpanelClient({ ...base, baseUrl: 'http://mixpanel.example.org/api/app' })).toThrow(
      /plain http/,
    );
    expect(() => createMixpanelClient({ ...base, baseUrl: 'http://127.0.0.1:9/api/app' })).not.toThrow();
    for (const siteId of ['', 'has-dash', 'a'.repeat(21), '../x']) {
      expect(() => createLivePersonClient({ siteId, auth: { bearer: 'b-1234' } })).toThrow(InvalidInputError);
    }
    expect(() => createLivePersonClient({ siteId: 'le92186583', auth: {} as never })).toThrow(/auth must be/);
    expect(() =>
      createLivePersonClient({
        siteId: 'le92186583',
        auth: { oauth1: { consumerKey: 'k', consumerSecret: '', token: 't', tokenSecret: 's' } },
      }),
    ).toThrow(/consumerSecret is missing/);
    expect(rec.requests).toHaveLength(0);
  });

  it('regions resolve to the documented hosts', async () => {
    for (const [region, host] of [
      ['us', 'https://mixpanel.com/api/app/'],
      ['eu', 'https://eu.mixpanel.com/api/app/'],
      ['in', 'https://in.mixpanel.com/api/app/'],
    ] as const) {
      const { mp, rec } = mixpanel({ region });
      await mp.cancelDeletion('t-1');
      expect(rec.requests[0]?.url).toBe(`${host}data-deletions/v3.0/t-1/?token=ptok-1234`);
    }
  });
});

describe('ids are normalised before anything else sees them', () => {
  it('LivePerson 01001 and 1001 are one request: sent as 1001', async () => {
    const { lp, rec } = recordingLivePerson(() => Response.json([{ request_id: 1001, is_canceled: true }]));
    const a = await lp.cancelDeletionRequest('01001');
    await lp.cancelDeletionRequest('0000000000000000000001001'); // 25 characters, a 4-digit number
    expect(a.requestId).toBe('1001');
    expect(rec.requests.map((r) => new URL(r.url).pathname.split('/')[5])).toEqual(['1001', '1001']);
    await expect(lp.cancelDeletionRequest('0')).resolves.toMatchObject({ requestId: '0' });
  });

  it('Mixpanel ids are sent in Unicode NFC; bidirectional controls are refused', async () => {
    const { mp, rec } = recordingMixpanel();
    const decomposed = 'cafe\u0301-task';
    const result = await mp.cancelDeletion(decomposed);
    expect(result.requestId).toBe('caf\u00e9-task');
    expect(decodeURIComponent(new URL(rec.requests[0]?.url ?? '').pathname)).toContain('caf\u00e9-task');
    for (const bidi of ['abc\u202edcba', 'a\u2066b', 'x\u200fy']) {
      await expect(mp.cancelDeletion(bidi)).rejects.toThrow(/bidirectional control character/);
    }
    expect(rec.requests).toHaveLength(1);
  });
});
