/**
 * What the SDK makes of each form Mixpanel's documentation or third parties show, beside the OpenAPI file's own
 * (docs/vendor-assumptions.md): the trailing slash, both create-response shapes, the prose status body, 405 and 409
 * bodies, and NOT_FOUND given as 200 or as 404.
 */
import { describe, expect, it } from 'vitest';
import { ApiStatusError, ConflictError, InvalidInputError } from '../../src/index.js';
import { json, recordingLivePerson, recordingMixpanel } from '../helpers/recording-fetch.js';

const ID = '35bd8477-f71f-4088-af55-c88a6fb4ad4b';
const path = (r: Request) => {
  const u = new URL(r.url);
  return `${r.method} ${u.pathname}${u.search.replace(/token=[^&]+/, 'token=T')}`;
};
/** Answers in turn: one handler per request. */
const inTurn = (...answers: (() => Response)[]) => {
  let i = 0;
  return async () => (answers[i++] ?? (() => new Response(null, { status: 500 })))();
};

describe('Mixpanel: the trailing slash', () => {
  const everyOperation = async (extra: Parameters<typeof recordingMixpanel>[0] = {}) => {
    const { mp, rec } = recordingMixpanel({
      ...extra,
      fetch: async (input, init) => {
        const r = new Request(input, init);
        rec.requests.push(r);
        if (r.method === 'POST') return json({ status: 'ok', results: { task_id: ID } }, 201);
        if (r.method === 'DELETE') return new Response(null, { status: 204 });
        return json({ status: 'ok', results: { status: 'PENDING' } });
      },
    });
    await mp.createDeletion({ distinctIds: ['u1'] });
    await mp.getDeletion(ID);
    await mp.cancelDeletion(ID);
    await mp.createRetrieval({ distinctIds: ['u1'] });
    await mp.getRetrieval(ID);
    return rec.requests.map(path);
  };

  it("is sent by default, as in Mixpanel's examples and the clients that run against the live API", async () => {
    expect(await everyOperation()).toEqual([
      'POST /api/app/data-deletions/v3.0/?token=T',
      `GET /api/app/data-deletions/v3.0/${ID}/?token=T`,
      `DELETE /api/app/data-deletions/v3.0/${ID}/?token=T`,
      'POST /api/app/data-retrievals/v3.0/?token=T',
      `GET /api/app/data-retrievals/v3.0/${ID}/?token=T`,
    ]);
  });

  it('is left out with trailingSlash: false, as in the OpenAPI file; anything but a boolean is refused', async () => {
    expect(await everyOperation({ trailingSlash: false })).toEqual([
      'POST /api/app/data-deletions/v3.0?token=T',
      `GET /api/app/data-deletions/v3.0/${ID}?token=T`,
      `DELETE /api/app/data-deletions/v3.0/${ID}?token=T`,
      'POST /api/app/data-retrievals/v3.0?token=T',
      `GET /api/app/data-retrievals/v3.0/${ID}?token=T`,
    ]);
    expect(() => recordingMixpanel({ trailingSlash: 'false' as never })).toThrow(InvalidInputError);
  });
});

describe('Mixpanel: response shapes from the prose and from third parties', () => {
  it("create: the spec's results.task_id and the prose's results[0].tracking_id both give the task id", async () => {
    const spec = recordingMixpanel({ fetch: async () => json({ status: 'ok', results: { task_id: ID } }, 201) });
    expect((await spec.mp.createDeletion({ distinctIds: ['u1'] })).taskId).toBe(ID);
    const prose = {
      status: 'ok',
      results: [
        {
          status: 'PENDING',
          disclosure_type: 'DATA',
          date_requested: '2020-03-09T22:28:55.078315',
          tracking_id: '1583792934719392965',
          project_id: 1978118,
          compliance_type: 'ccpa',
          destination_url: null,
          requesting_user: 'pat.davis@mixpanel.com',
          distinct_id_count: 1,
        },
      ],
    };
    const listed = recordingMixpanel({ fetch: async () => json(prose, 200) });
    expect((await listed.mp.createDeletion({ distinctIds: ['u1'] })).taskId).toBe('1583792934719392965');
    const empty = recordingMixpanel({ fetch: async () => json({ status: 'ok', results: [] }, 201) });
    await expect(empty.mp.createDeletion({ distinctIds: ['u1'] })).rejects.toThrow(/returned no task id/);
  });

  it("status: the prose body {status, result, distinct_ids} reads as the task's status (any case)", async () => {
    const { mp } = recordingMixpanel({
      fetch: async () => json({ status: 'ok', results: { status: 'pending', result: '', distinct_ids: ['1'] } }),
    });
    expect(await mp.getDeletion(ID)).toMatchObject({ trackingId: ID, status: 'PENDING', distinctIdCount: 1 });
  });

  it.each([
    ['a JSON error body', () => json({ status: 'error', error: 'method not allowed' }, 405)],
    ['an empty body', () => new Response(null, { status: 405 })],
    ['an HTML page', () => new Response('<html>405</html>', { status: 405, headers: { 'content-type': 'text/html' } })],
  ])('cancel: 405 with %s, then STARTED → too_late', async (_what, refusal) => {
    const { mp } = recordingMixpanel({
      fetch: inTurn(refusal, () => json({ status: 'ok', results: { status: 'STARTED' } })),
      maxRetries: 0,
    });
    expect(await mp.cancelDeletion(ID)).toMatchObject({
      outcome: 'too_late',
      httpStatus: 405,
      vendorStatus: 'STARTED',
    });
  });

  it('create: 409 with the object error RudderStack saw names the ids; with a plain string it is still a ConflictError', async () => {
    const conflict = {
      status: 'error',
      error: { conflicting_distinct_ids: ['u1'], conflicting_task_ids: [ID], error: 'already scheduled' },
    };
    const named = recordingMixpanel({ fetch: async () => json(conflict, 409), maxRetries: 0 });
    const err = await named.mp.createDeletion({ distinctIds: ['u1', 'u2'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({ conflictingDistinctIds: ['u1'], conflictingTaskIds: [ID] });

    let sent = 0;
    const plain = recordingMixpanel({
      fetch: async () => {
        sent++;
        return json({ status: 'error', error: 'already scheduled' }, 409);
      },
      maxRetries: 0,
    });
    const bare = await plain.mp
      .createDeletion({ distinctIds: ['u1', 'u2'], onConflict: 'submit-rest' })
      .catch((e: unknown) => e);
    expect(bare).toBeInstanceOf(ConflictError);
    expect(bare).toMatchObject({ conflictingDistinctIds: [] });
    expect(sent).toBe(1); // nothing re-sent without knowing which ids were scheduled
  });

  it.each([
    ['200 NOT_FOUND after 405', [405, 'json'] as const],
    ['404 after 404', [404, 404] as const],
    ['404 after 405', [405, 404] as const],
  ])('cancel of an unknown task: %s → not_found', async (_what, [cancel, read]) => {
    const { mp } = recordingMixpanel({
      fetch: inTurn(
        () => json({ status: 'error', error: 'not found' }, cancel),
        () => (read === 'json' ? json({ status: 'ok', results: { status: 'NOT_FOUND' } }) : json({}, read)),
      ),
      maxRetries: 0,
    });
    expect(await mp.cancelDeletion(ID)).toMatchObject({ outcome: 'not_found' });
  });

  it('a 2xx create body that is not JSON is an ApiStatusError, not a task id guessed', async () => {
    const { mp } = recordingMixpanel({ fetch: async () => new Response('OK', { status: 201 }) });
    await expect(mp.createDeletion({ distinctIds: ['u1'] })).rejects.toBeInstanceOf(ApiStatusError);
  });
});

describe('LivePerson: shapes the documentation leaves open', () => {
  it.each([
    ['an object, request_id a number', { request_id: 1001, status: 'NOT_STARTED' }],
    ['an object, request_id a string', { request_id: '1001', status: 'NOT_STARTED' }],
    ['an array of one', [{ request_id: 1001, status: 'NOT_STARTED' }]],
    [
      'an array holding others too',
      [
        { request_id: '7', status: 'DONE' },
        { request_id: '1001', status: 'NOT_STARTED' },
      ],
    ],
  ])('get by id answered with %s finds request 1001', async (_what, body) => {
    const { lp } = recordingLivePerson(() => json(body));
    expect(await lp.getDeletionRequest('1001')).toMatchObject({ status: 'NOT_STARTED' });
  });

  it.each([
    [409, 'IN_PROGRESS', 'too_late'],
    [400, 'CANCELED', 'already_cancelled'],
    [404, undefined, 'not_found'],
  ])('cancel refused with %i, then a status read of %s → %s', async (code, status, outcome) => {
    let calls = 0;
    const { lp } = recordingLivePerson(() =>
      calls++ === 0
        ? json({ message: 'refused' }, code)
        : status
          ? json({ request_id: 1001, status })
          : json({ message: 'no such request' }, 404),
    );
    expect(await lp.cancelDeletionRequest('1001')).toMatchObject({ outcome, httpStatus: code });
  });
});
