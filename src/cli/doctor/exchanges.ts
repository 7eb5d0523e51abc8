/**
 * What `doctor` sent and got back: a fetch that records every exchange (the SDK's own requests, through its
 * `fetch` option), and the redacted copies `--record` saves as fixtures.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redactor } from '../../core/redact.js';

export interface Exchange {
  method: string;
  url: string;
  status: number;
  headers: Headers;
  /** The body as text ('' when there is none). */
  body: string;
}

/** A fetch that records each exchange; a failed connection is recorded by nothing and thrown as usual. */
export function recordingFetch(exchanges: Exchange[]): typeof fetch {
  return (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const response = await fetch(input, init);
    const body = await response.clone().text();
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    exchanges.push({ method: init?.method ?? 'GET', url, status: response.status, headers: response.headers, body });
    return response;
  }) as typeof fetch;
}

/** The exchange's body parsed as JSON, or undefined when it is empty or not JSON. */
export function jsonBody(e: Exchange): unknown {
  if (!e.body) return undefined;
  try {
    return JSON.parse(e.body);
  } catch {
    return undefined;
  }
}

/** A fixture: the exchange with credentials removed (the token query, the authorization header, echoed secrets). */
export interface Fixture {
  vendor: string;
  account: string;
  operation: string;
  request: { method: string; url: string };
  response: { status: number; headers: Record<string, string>; body: unknown };
}

const KEPT_HEADERS = ['content-type', 'date', 'retry-after', 'x-request-id'];

export function fixtureOf(
  e: Exchange,
  where: { vendor: string; account: string; operation: string },
  redactor: Redactor,
): Fixture {
  const headers: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = e.headers.get(name);
    if (value !== null) headers[name] = redactor.string(value);
  }
  const parsed = jsonBody(e);
  return {
    ...where,
    request: { method: e.method, url: redactor.url(e.url) },
    response: {
      status: e.status,
      headers,
      body: parsed === undefined ? (e.body ? redactor.string(e.body) : null) : redactor.value(parsed),
    },
  };
}

/** Writes fixtures as `<dir>/<nn>-<account>-<operation>.json` (owner-only: they still describe the accounts). */
export function writeFixtures(dir: string, fixtures: Fixture[]): string[] {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return fixtures.map((f, i) => {
    const file = join(dir, `${String(i + 1).padStart(2, '0')}-${f.account}-${f.operation}.json`);
    writeFileSync(file, `${JSON.stringify(f, null, 2)}\n`, { mode: 0o600 });
    return file;
  });
}
