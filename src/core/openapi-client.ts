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

export function createOpenApiClient<Paths extends {}>(baseUrl: string): Client<Paths> {
  // No client-level fetch or signal: both are passed per call (a client-level signal would expire once for all).
  return createClient<Paths>({ baseUrl });
}
