import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
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
