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
  readonly body: BodyInit | null | undefined;
  constructor(url: string | URL, init: RequestInit = {}) {
    this.url = String(url);
    this.method = (init.method ?? 'GET').toUpperCase();
    this.headers = init.headers instanceof Headers ? init.headers : new Headers(init.headers);
    this.body = init.body;
  }
}

/** openapi-fetch types its per-call `fetch` as taking a Request; at run time it receives an OutgoingRequest. */
export function asOutgoing(request: Request): OutgoingRequest {
  return request as unknown as OutgoingRequest;
}

/** A request for an endpoint outside the generated paths (LivePerson's Domain API). */
export function outgoing(url: string, init?: RequestInit): Request {
  return new OutgoingRequest(url, init) as unknown as Request;
}

export function createOpenApiClient<Paths extends {}>(baseUrl: string): Client<Paths> {
  // No client-level fetch or signal: both are passed per call (a client-level signal would expire once for all).
  return createClient<Paths>({ baseUrl, Request: OutgoingRequest as unknown as typeof Request });
}
