/** A fetch that answers from a handler and records every request; for unit tests that must see what was sent. */
export function recordingFetch(
  handler: (request: Request) => Response | Promise<Response> = () => new Response(null, { status: 204 }),
) {
  const requests: Request[] = [];
  const fetchImpl = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    requests.push(request);
    return handler(request);
  };
  return { fetch: fetchImpl as typeof fetch, requests };
}

export const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
