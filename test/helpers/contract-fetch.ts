/**
 * A fetch for contract tests: steers Prism per request with a `Prefer` header and records every exchange; when the
 * test ends it fails the test if Prism found any of the SDK's requests invalid (422) or its own answer off-spec
 * (sl-violations), so no test can forget to check.
 */
import { expect, onTestFinished } from 'vitest';

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
  /** Problems Prism reported: requests it found invalid and responses it found off-spec. */
  const problems = () =>
    exchanges
      .filter((e) => e.status === 422 || e.violations)
      .map((e) => `${e.method} ${e.url}: ${e.problem ?? e.violations}`);
  // Every exchange must have been valid for Prism in both directions.
  onTestFinished(() => expect(problems()).toEqual([]));
  return { fetch: fetchImpl as typeof fetch, exchanges, problems };
}
