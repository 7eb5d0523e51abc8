/** LivePerson's monthly create quota, counted locally, against a real loopback server scripted per request. */
import { describe, expect, it } from 'vitest';
import {
  BadRequestError,
  createLivePersonClient,
  type LivePersonClientOptions,
  MemoryQuotaLedger,
  MonthlyQuotaError,
  ServerError,
} from '../../src/index.js';
import { scriptedServer, sendJson } from '../helpers/http-server.js';

const CREATED = { request_id: 7, siteid: '92186583', is_canceled: false };

async function setup(statuses: number[], quota: LivePersonClientOptions['monthlyQuota']) {
  const srv = await scriptedServer((_req, res, _seen, i) => {
    const status = statuses[i] ?? 201;
    sendJson(res, status, status === 201 ? CREATED : { message: `status ${status}` });
  });
  const lp = createLivePersonClient({
    siteId: '92186583',
    auth: { bearer: 'b-quota' },
    baseUrl: srv.url,
    maxRetries: 0,
    monthlyQuota: quota,
  });
  const create = () => lp.createDeletionRequest({ consumer: ['c-1'] });
  return { srv, lp, create };
}

describe('LivePerson monthly quota (local count)', () => {
  it('counts creates and refuses the one past the limit before sending it', async () => {
    const { srv, lp, create } = await setup([], { limit: 2 });
    await create();
    await create();
    expect(lp.quotaUsage()).toMatchObject({ used: 2, limit: 2, remaining: 0 });
    const err = await create().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MonthlyQuotaError);
    expect(err).toMatchObject({ attempts: 0, status: undefined });
    expect((err as Error).message).toMatch(
      /2 of 2 create requests already sent in \d{4}-\d{2} \(local count\); not sent/,
    );
    expect(srv.seen).toHaveLength(2);
  });

  it('a 4xx refusal does not count, a 5xx (the vendor may have acted) does, a vendor 429 uses the month up', async () => {
    const { srv, lp, create } = await setup([400, 500, 429], { limit: 5 });
    await expect(create()).rejects.toBeInstanceOf(BadRequestError);
    expect(lp.quotaUsage()?.used).toBe(0);
    await expect(create()).rejects.toBeInstanceOf(ServerError);
    expect(lp.quotaUsage()?.used).toBe(1);
    await expect(create()).rejects.toBeInstanceOf(MonthlyQuotaError);
    expect(lp.quotaUsage()).toMatchObject({ used: 5, remaining: 0 });
    await expect(create()).rejects.toMatchObject({ attempts: 0 }); // refused locally from now on
    expect(srv.seen).toHaveLength(3);
  });

  it('a new calendar month starts from zero; a shared ledger carries counts across clients', async () => {
    let now = new Date('2026-11-30T23:59:00Z');
    const ledger = new MemoryQuotaLedger();
    const first = await setup([], { limit: 1, ledger, now: () => now });
    await first.create();
    const second = await setup([], { limit: 1, ledger, now: () => now });
    await expect(second.create()).rejects.toBeInstanceOf(MonthlyQuotaError);
    now = new Date('2026-12-01T00:00:01Z');
    await second.create();
    expect(second.lp.quotaUsage()).toEqual({ month: '2026-12', used: 1, limit: 1, remaining: 0 });
    expect(ledger.get('92186583:2026-11')).toBe(1);
  });

  it('monthlyQuota: false sends every create and reports no usage', async () => {
    const { srv, lp, create } = await setup([], false);
    for (let i = 0; i < 3; i++) await create();
    expect(srv.seen).toHaveLength(3);
    expect(lp.quotaUsage()).toBeUndefined();
  });
});
