/**
 * A fetch for contract tests: steers Prism per request with a `Prefer` header and records every exchange, so a
 * test can assert that Prism never found the SDK's request invalid (422) or its own answer off-spec (sl-violations).
 */
export interface Exchange {
  method: string;
  url: string;
  status: number;
  violations: string | null;
  headers: Headers;
  problem?: string;
}

export type PreferRule = [method: string, pathPattern: RegExp, prefer: string];

export function contractFetch(rules: PreferRule[] = []) {
  const exchanges: Exchange[] = [];
  const fetchImpl = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const path = new URL(request.url).pathname;
    const rule = rules.find(([m, p]) => m === request.method && p.test(path));
    if (rule) request.headers.set('prefer', rule[2]);
    const response = await fetch(request);
    const exchange: Exchange = {
      method: request.method,
      url: request.url,
      status: response.status,
      violations: response.headers.get('sl-violations'),
      headers: request.headers,
    };
    if (response.status === 422) exchange.problem = await response.clone().text();
    exchanges.push(exchange);
    return response;
  };
  return {
    fetch: fetchImpl as typeof fetch,
    exchanges,
    /** Problems Prism reported: requests it found invalid and responses it found off-spec. */
    problems: () =>
      exchanges
        .filter((e) => e.status === 422 || e.violations)
        .map((e) => `${e.method} ${e.url}: ${e.problem ?? e.violations}`),
  };
}
