import {
  createLivePersonClient,
  createMixpanelClient,
  type MixpanelClientOptions,
  type RequestLogEntry,
} from '../../src/index.js';

/** A fetch that answers from a handler and records every request; for unit tests that must see what was sent. */
export function recordingFetch(
  handler: (request: Request) => Response | Promise<Response> = () => new Response(null, { status: 204 }),
) {
  const requests: Request[] = [];
  const fetchImpl = async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const request = new Request(input, init);
    requests.push(request);
    return handler(request);
  };
  return { fetch: fetchImpl as typeof fetch, requests };
}

export const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/** A Mixpanel client whose requests are recorded, not sent (rate limiting off). */
export function recordingMixpanel(extra: Partial<MixpanelClientOptions> = {}) {
  const rec = recordingFetch();
  const mp = createMixpanelClient({
    projectToken: 'ptok-1234',
    oauthToken: 'otok-5678',
    fetch: rec.fetch,
    rateLimit: false,
    ...extra,
  });
  return { mp, rec };
}

/** A LivePerson client (fixed domain, no Domain API lookup) whose requests are recorded, not sent. */
export function recordingLivePerson(handler?: Parameters<typeof recordingFetch>[0]) {
  const rec = recordingFetch(handler);
  const lp = createLivePersonClient({
    siteId: '92186583',
    auth: { bearer: 'bearer-1234' },
    domain: 'va.data-mng.liveperson.net',
    fetch: rec.fetch,
  });
  return { lp, rec };
}

/** A Mixpanel client for a loopback fault server: rate limit off, 40 ms backoff, every attempt logged. */
export function mixpanelAt(url: string, extra: Partial<MixpanelClientOptions> = {}) {
  const logs: RequestLogEntry[] = [];
  const mp = createMixpanelClient({
    projectToken: 'ptok-faults',
    oauthToken: 'otok-faults',
    baseUrl: url,
    rateLimit: false,
    baseDelayMs: 40,
    logger: (e) => logs.push(e),
    ...extra,
  });
  return { mp, logs };
}
