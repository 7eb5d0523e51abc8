/**
 * What `doctor` sent and got back: a fetch that records every exchange (the SDK's own requests, through its
 * `fetch` option), and the redacted copies `--record` saves as fixtures.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isSecretField, type Redactor } from '../../core/redact.js';
import { DEFAULT_MAX_RESPONSE_BYTES } from '../../core/transport.js';

export interface Exchange {
  method: string;
  url: string;
  status: number;
  headers: Headers;
  /** The body as text ('' when there is none), at most {@link RECORDED_BODY_BYTES}. */
  body: string;
  /** The body was longer than that: only its start is kept, and it is neither parsed nor checked against a spec. */
  truncated?: boolean;
}

/**
 * What is recorded of one answer's body at most: the SDK's own cap. A hostile or broken server's 2.5 GB answer then
 * costs 1 MiB here (the recording used to read it whole before the SDK's cap applied).
 */
export const RECORDED_BODY_BYTES = DEFAULT_MAX_RESPONSE_BYTES;

/** Up to `max` bytes of a body stream, and whether there was more (the rest is not read: the stream is cancelled). */
async function readCapped(body: ReadableStream<Uint8Array> | null, max: number) {
  if (!body) return { bytes: new Uint8Array(0), truncated: false };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > max) {
      chunks.push(value.subarray(0, max - size));
      size = max;
      truncated = true;
      await reader.cancel();
      break;
    }
    chunks.push(value);
    size += value.byteLength;
  }
  return { bytes: Buffer.concat(chunks), truncated };
}

/** Statuses whose answer has no body (a Response refuses one). */
const NULL_BODY = new Set([204, 205, 304]);

/**
 * A fetch that records each exchange; a failed connection is recorded by nothing and thrown as usual. The body is
 * read here once, to one byte past the cap, and handed on as read: the SDK then meets the same over-long answer and
 * refuses it as it would, and nothing larger is ever held (no clone, whose other half would buffer the rest).
 */
export function recordingFetch(exchanges: Exchange[]): typeof fetch {
  return (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const response = await fetch(input, init);
    const { bytes, truncated } = await readCapped(response.body, RECORDED_BODY_BYTES + 1);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    exchanges.push({
      method: init?.method ?? 'GET',
      url,
      status: response.status,
      headers: response.headers,
      body: truncated ? '' : Buffer.from(bytes).toString('utf8'),
      ...(truncated ? { truncated } : {}),
    });
    return new Response(NULL_BODY.has(response.status) ? null : bytes, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  }) as typeof fetch;
}

/** The exchange's body parsed as JSON, or undefined when it is empty or not JSON. */
export function jsonBody(e: Exchange): unknown {
  if (!e.body || e.truncated) return undefined;
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
      body: e.truncated
        ? `[not recorded: the answer was larger than ${RECORDED_BODY_BYTES} bytes]`
        : parsed === undefined
          ? e.body
            ? redactor.string(e.body)
            : null
          : redactor.value(parsed),
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

/**
 * Registers with the redactor every secret the exchanges carried (tokens, sessions, csrf and wsuk values, cookies),
 * before any fixture is made from them: an error body that repeats a token fetched earlier is then scrubbed too.
 */
export function learnSecrets(exchanges: Exchange[], redactor: Redactor): void {
  const walk = (value: unknown, depth: number): void => {
    if (value === null || typeof value !== 'object' || depth > 20) return;
    for (const [k, v] of Object.entries(value)) {
      if (typeof v === 'string' && isSecretField(k)) redactor.add(v);
      else walk(v, depth + 1);
    }
  };
  for (const e of exchanges) {
    walk(jsonBody(e), 0);
    for (const cookie of e.headers.getSetCookie?.() ?? []) {
      const value = /^[^=]*=([^;]*)/.exec(cookie)?.[1];
      if (value) redactor.add(value);
    }
  }
}
