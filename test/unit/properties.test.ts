/**
 * Property tests: for arbitrary ids, every URL the SDK sends stays inside its operation's path template (or the id
 * is refused before sending), and no credential ever appears in an error, however the vendor answers.
 */
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMixpanelClient, InvalidInputError } from '../../src/index.js';
import { recordingFetch, recordingLivePerson, recordingMixpanel } from '../helpers/recording-fetch.js';

// Ids built to stress the path: dot segments, slashes, encodings, unicode, whitespace and control characters.
const nastyId = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    '.',
    '..',
    '%2e%2e',
    '%2E.',
    '../x',
    'a/../..',
    '/',
    '//',
    '?',
    '#',
    '%',
    '%00',
    '\u0000',
    ' ',
    '\t..',
    '..%2f',
  ),
  fc
    .array(fc.constantFrom('.', '/', '%', '2', 'e', 'f', '?', '#', '\\', ' ', 'a', '~', '\n'), { maxLength: 12 })
    .map((a) => a.join('')),
);

const MIXPANEL_PATH = /^\/api\/app\/data-deletions\/v3\.0\/([^/?#]+)\/$/; // the default trailing slash
const LIVEPERSON_PATH = /^\/api\/account\/92186583\/personal-data-deletion\/([0-9]+)\/cancel$/;

/** Runs `call`: true when a request went out; false when the SDK refused the input, after checking nothing was sent. */
async function sentOrRefused(rec: { requests: Request[] }, call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(rec.requests).toHaveLength(0);
    return false;
  }
}

describe('property: path parameters never escape their template', () => {
  it('Mixpanel cancelDeletion', async () => {
    await fc.assert(
      fc.asyncProperty(nastyId, async (id) => {
        const { mp, rec } = recordingMixpanel();
        if (!(await sentOrRefused(rec, () => mp.cancelDeletion(id)))) return;
        expect(rec.requests).toHaveLength(1);
        const url = new URL(rec.requests[0]?.url ?? '');
        const m = MIXPANEL_PATH.exec(url.pathname);
        expect(m, `${JSON.stringify(id)} → ${url.pathname}`).not.toBeNull();
        // sent as given, in Unicode NFC (one id typed two ways is one request)
        expect(decodeURIComponent(m?.[1] ?? '')).toBe(id.normalize('NFC'));
        expect([...url.searchParams.keys()]).toEqual(['token']);
      }),
      { numRuns: 3000 },
    );
  });

  it('LivePerson cancelDeletionRequest', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(nastyId, fc.bigInt({ min: 0n, max: 10n ** 19n }).map(String)), async (id) => {
        const { lp, rec } = recordingLivePerson(() => Response.json([{ request_id: 1, is_canceled: true }]));
        if (!(await sentOrRefused(rec, () => lp.cancelDeletionRequest(id)))) return;
        const url = new URL(rec.requests[0]?.url ?? '');
        expect(url.host).toBe('va.data-mng.liveperson.net');
        // a number: sent without leading zeros (01001 and 1001 are one request)
        expect(LIVEPERSON_PATH.exec(url.pathname)?.[1]).toBe(id.replace(/^0+(?=\d)/, ''));
      }),
      { numRuns: 3000 },
    );
  });
});

const secret = fc.stringMatching(/^[A-Za-z0-9_\-.~+/=]{12,48}$/);

describe('property: no credential in any error rendering', () => {
  it('Mixpanel, whatever the vendor echoes back', async () => {
    await fc.assert(
      fc.asyncProperty(
        secret,
        secret,
        fc.constantFrom(400, 401, 403, 404, 409, 429, 500),
        async (projectToken, oauthToken, status) => {
          fc.pre(!projectToken.includes(oauthToken) && !oauthToken.includes(projectToken));
          const rec = recordingFetch(
            (req) =>
              new Response(
                JSON.stringify({ error: `${req.url} ${req.headers.get('authorization')}`, token: projectToken }),
                {
                  status,
                  headers: { 'content-type': 'application/json', 'x-echo': oauthToken },
                },
              ),
          );
          const mp = createMixpanelClient({
            projectToken,
            oauthToken,
            fetch: rec.fetch,
            rateLimit: false,
            maxRetries: 0,
          });
          const err = await mp.createDeletion({ distinctIds: ['u1'] }).catch((e: unknown) => e);
          const text = [String(err), inspect(err, { depth: 8 }), JSON.stringify(err), (err as Error).stack].join('\n');
          for (const s of [
            projectToken,
            oauthToken,
            encodeURIComponent(projectToken),
            encodeURIComponent(oauthToken),
          ]) {
            expect(text).not.toContain(s);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
