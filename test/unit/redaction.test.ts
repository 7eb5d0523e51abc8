import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../src/core/redact.js';
import {
  AuthenticationError,
  ConnectionError,
  createLivePersonClient,
  createMixpanelClient,
  type RequestLogEntry,
} from '../../src/index.js';
import { scriptedServer, sendJson } from '../helpers/http-server.js';

const SECRETS = {
  projectToken: 'PROJ-TOKEN-d41d8cd98f',
  oauthToken: 'OAUTH-SECRET-e3b0c44298',
  bearer: 'LP-BEARER-9e107d9d372b',
  consumerKey: 'CK-2fd4e1c67a2d',
  consumerSecret: 'CS-de9f2c7fd25e',
  token: 'TK-1b9d6bcd5e4',
  tokenSecret: 'TS-aa39b9f5a0b',
};

function everyRendering(err: unknown, logs: RequestLogEntry[]): string {
  const e = err as Error;
  return [
    String(err),
    e.message,
    e.stack,
    inspect(err, { depth: 10 }),
    JSON.stringify(err),
    JSON.stringify(logs),
    String(e.cause),
  ].join('\n');
}

function expectNoSecret(text: string) {
  for (const [name, value] of Object.entries(SECRETS)) {
    expect(text, `${name} leaked`).not.toContain(value);
    expect(text, `${name} leaked (url-encoded)`).not.toContain(encodeURIComponent(value));
  }
}

describe('no credential appears in errors or logs', () => {
  it('Mixpanel 401 whose body echoes both tokens', async () => {
    const srv = await scriptedServer((req, res) =>
      sendJson(res, 401, { status: 'error', error: `bad token ${SECRETS.oauthToken} for ${req.url}` }),
    );
    const logs: RequestLogEntry[] = [];
    const mp = createMixpanelClient({ ...SECRETS, baseUrl: srv.url, rateLimit: false, logger: (e) => logs.push(e) });
    const err = await mp.cancelDeletion('task-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    // the request really carried the secrets …
    expect(srv.seen[0]?.headers.authorization).toBe(`Bearer ${SECRETS.oauthToken}`);
    expect(srv.seen[0]?.url).toContain(SECRETS.projectToken);
    // … and no rendering of the error or the log shows them
    expectNoSecret(everyRendering(err, logs));
    expect((err as AuthenticationError).request?.url).toMatch(/token=\[REDACTED\]/);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ method: 'DELETE', status: 401, attempt: 1 });
  });

  it('LivePerson OAuth 1.0: connection refused, signature and secrets absent', async () => {
    const srv = await scriptedServer((_req, res) => {
      res.destroy();
    });
    const logs: RequestLogEntry[] = [];
    const lp = createLivePersonClient({
      siteId: '92186583',
      auth: {
        oauth1: {
          consumerKey: SECRETS.consumerKey,
          consumerSecret: SECRETS.consumerSecret,
          token: SECRETS.token,
          tokenSecret: SECRETS.tokenSecret,
        },
      },
      baseUrl: srv.url,
      maxRetries: 0,
      logger: (e) => logs.push(e),
    });
    const err = await lp.cancelDeletionRequest('7723').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    const signature = /oauth_signature="([^"]+)"/.exec(String(srv.seen[0]?.headers.authorization))?.[1];
    expect(signature).toBeTruthy();
    const text = everyRendering(err, logs);
    expectNoSecret(text);
    expect(text).not.toContain(decodeURIComponent(signature ?? 'x'));
    expect(text).not.toContain(signature);
  });

  it('LivePerson bearer echoed in a 500 body', async () => {
    const srv = await scriptedServer((req, res) =>
      sendJson(res, 500, { message: `failed for ${req.headers.authorization}` }),
    );
    const lp = createLivePersonClient({
      siteId: '92186583',
      auth: { bearer: SECRETS.bearer },
      baseUrl: srv.url,
      maxRetries: 0,
    });
    const err = await lp.getDeletionRequest('1').catch((e: unknown) => e);
    expect(srv.seen[0]?.headers.authorization).toBe(`Bearer ${SECRETS.bearer}`);
    expectNoSecret(everyRendering(err, []));
    expect(JSON.stringify((err as { body: unknown }).body)).toContain('[REDACTED]');
  });
});

describe('every string that leaves the SDK is redacted, and only credentials are', () => {
  it('x-request-id echoing the OAuth token is redacted on err.requestId', async () => {
    const srv = await scriptedServer((_req, res) =>
      sendJson(res, 500, { error: 'x' }, { 'x-request-id': `req-${SECRETS.oauthToken}` }),
    );
    const mp = createMixpanelClient({ ...SECRETS, baseUrl: srv.url, rateLimit: false, maxRetries: 0 });
    const err = (await mp.getDeletion('t').catch((e: unknown) => e)) as AuthenticationError;
    expect(err.requestId).toBe('req-[REDACTED]');
    expectNoSecret(everyRendering(err, []));
  });

  it('a 401 body nested 25 levels deep is cut at 20 levels with a marker, never returned raw', async () => {
    let deep: unknown = { token: SECRETS.oauthToken, echo: `project ${SECRETS.projectToken}` };
    for (let i = 0; i < 25; i++) deep = { level: deep };
    const srv = await scriptedServer((_req, res) => sendJson(res, 401, deep));
    const mp = createMixpanelClient({ ...SECRETS, baseUrl: srv.url, rateLimit: false });
    const err = await mp.getDeletion('t').catch((e: unknown) => e);
    expectNoSecret(everyRendering(err, []));
    expect(JSON.stringify(err)).toContain('[REDACTED: nested deeper than 20 levels]');
  });

  it('LivePerson records (get, list) reflecting the bearer come back redacted', async () => {
    const srv = await scriptedServer((req, res) =>
      sendJson(res, 200, [{ request_id: 5, status: 'NOT_STARTED', requested_by: String(req.headers.authorization) }]),
    );
    const lp = createLivePersonClient({ siteId: '1', auth: { bearer: SECRETS.bearer }, baseUrl: srv.url });
    const [one, list] = await Promise.all([lp.getDeletionRequest('5'), lp.listDeletionRequests()]);
    expect(one.requested_by).toBe('Bearer [REDACTED]');
    expectNoSecret(JSON.stringify([one, list]));
  });

  it('Mixpanel fields picked from a status body that echoes the tokens are redacted, not only raw', async () => {
    const srv = await scriptedServer((req, res) =>
      sendJson(res, 200, {
        status: 'ok',
        results: {
          status: 'PENDING',
          requesting_user: `${req.headers.authorization}`,
          compliance_type: SECRETS.projectToken,
        },
      }),
    );
    const mp = createMixpanelClient({ ...SECRETS, baseUrl: srv.url, rateLimit: false });
    const deletion = await mp.getDeletion('t');
    expect(deletion.requestingUser).toBe('Bearer [REDACTED]');
    expectNoSecret(JSON.stringify(deletion));
  });

  it("the vendor's words survive: 'OAuth token expired or revoked' is not wiped", async () => {
    const srv = await scriptedServer((_req, res) =>
      sendJson(res, 401, { status: 'error', error: 'OAuth token expired or revoked' }),
    );
    const mp = createMixpanelClient({ ...SECRETS, baseUrl: srv.url, rateLimit: false });
    const err = (await mp.getDeletion('t').catch((e: unknown) => e)) as AuthenticationError;
    expect(err.message).toContain('OAuth token expired or revoked');
    expect(err.body).toEqual({ status: 'error', error: 'OAuth token expired or revoked' });
  });

  it.each([
    ['Authorization: Bearer abc123unknownToken', 'Authorization: Bearer [REDACTED]'],
    ['Basic dXNlcjpwYXNzd29yZA==', 'Basic [REDACTED]'],
    ['Bearer token missing', 'Bearer token missing'],
    [
      'OAuth oauth_consumer_key="ck9", oauth_signature="a%2Bb%3D", oauth_version="1.0"',
      'OAuth oauth_consumer_key="[REDACTED]", oauth_signature="[REDACTED]", oauth_version="[REDACTED]"',
    ],
    ['see eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl here', 'see [REDACTED] here'],
    ['retry with access_token=zz9&x=1', 'retry with access_token=[REDACTED]&x=1'],
  ])('unknown credential shapes: %j', (input, expected) => {
    expect(new Redactor().string(input)).toBe(expected);
  });
});
