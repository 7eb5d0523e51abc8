/**
 * The only module that imports openapi-fetch. openapi-fetch and openapi-typescript are frozen upstream
 * (maintenance mode, toolchain.md §0); keeping them behind this file makes them replaceable.
 */
import createClient, { type Client } from 'openapi-fetch';

export type { Client as OpenApiClient };

/** Fetch as openapi-fetch calls it: always with a Request. */
export type RequestFetch = (request: Request) => Promise<Response>;

/** The result shape of every openapi-fetch call, loosened: `error` is untrusted and read as unknown. */
export interface RawResult {
  data?: unknown;
  error?: unknown;
  response: Response;
}

/**
 * What openapi-fetch builds instead of a WHATWG Request. A real Request is costly to construct in Node's undici and
 * fetch constructs another one anyway; openapi-fetch accepts a custom `Request` class for this. The transport sends
 * it with one `fetch(url, init)` per attempt, and its string body can be re-sent on retry without cloning.
 */
export class OutgoingRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: RequestInit['body'];
  constructor(url: string | URL, init: RequestInit = {}) {
    this.url = String(url);
    this.method = (init.method ?? 'GET').toUpperCase();
    this.headers = init.headers instanceof Headers ? init.headers : new Headers(init.headers);
    this.body = init.body;
  }
}

const utf8 = new TextDecoder();

/**
 * What the transport hands openapi-fetch instead of a second WHATWG Response once it has read the body itself (under
 * the deadline and the size cap). openapi-fetch reads only `status`, `ok`, `headers` and `text()`/`json()` of it;
 * building a real Response around bytes already read cost ~12 % of a small JSON read.
 */
class ReadResponse {
  readonly #body: Uint8Array | string;
  readonly body = null;
  readonly bodyUsed = true;
  readonly redirected = false;
  readonly type = 'basic';
  readonly url = '';
  constructor(
    readonly status: number,
    readonly statusText: string,
    readonly headers: Headers,
    body: Uint8Array | string,
  ) {
    this.#body = body;
  }
  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }
  async text(): Promise<string> {
    return typeof this.#body === 'string' ? this.#body : utf8.decode(this.#body);
  }
  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = typeof this.#body === 'string' ? new TextEncoder().encode(this.#body) : this.#body;
    return bytes.slice().buffer as ArrayBuffer;
  }
}

/** A response whose body was already read into `body`, as openapi-fetch will parse it. */
export function readResponse(
  from: { status: number; statusText: string; headers: Headers },
  body: Uint8Array | string,
): Response {
  return new ReadResponse(from.status, from.statusText, from.headers, body) as unknown as Response;
}

/** openapi-fetch types its per-call `fetch` as taking a Request; at run time it receives an OutgoingRequest. */
export function asOutgoing(request: Request): OutgoingRequest {
  return request as unknown as OutgoingRequest;
}

/** A request for an endpoint outside the generated paths (LivePerson's Domain API). */
export function outgoing(url: string, init?: RequestInit): Request {
  return new OutgoingRequest(url, init) as unknown as Request;
}

/** The same request with its path ending in `/` (before any query). */
class SlashedRequest extends OutgoingRequest {
  constructor(url: string | URL, init?: RequestInit) {
    const u = new URL(url);
    if (!u.pathname.endsWith('/')) u.pathname += '/';
    super(u, init);
  }
}

/**
 * The typed client for one API. `trailingSlash` sends every path with a `/` at its end, as a vendor's examples may
 * write them where its OpenAPI file does not (Mixpanel: docs/vendor-assumptions.md).
 */
export function createOpenApiClient<Paths extends {}>(
  baseUrl: string,
  options: { trailingSlash?: boolean } = {},
): Client<Paths> {
  // No client-level fetch or signal: both are passed per call (a client-level signal would expire once for all).
  const RequestClass = options.trailingSlash ? SlashedRequest : OutgoingRequest;
  return createClient<Paths>({ baseUrl, Request: RequestClass as unknown as typeof Request });
}
