/**
 * Bearer tokens that LivePerson hands out and takes back: OAuth 2.0 client credentials (the Sentinel token endpoint),
 * the Login Service, or the caller's own provider function. A token is cached until shortly before it expires;
 * concurrent calls share one token request; after a 401 the client asks for a fresh one once (`refresh`). Every token
 * is registered with the client's redactor the moment it arrives, so none can appear in an error or a log.
 */
import type { paths } from '../../generated/liveperson-auth.js';
import { ApiStatusError, AuthenticationError, detailsOf } from '../core/errors.js';
import { createOpenApiClient, type RawResult, type RequestFetch } from '../core/openapi-client.js';
import type { Redactor } from '../core/redact.js';
import { type CallOptions, execute, type Success, unusableResponse } from '../core/request.js';
import type { Transport } from '../core/transport.js';

/** Where a bearer token comes from. */
export interface TokenSource {
  /** A token to send now (cached while fresh). */
  token(options?: CallOptions): Promise<string>;
  /**
   * After the API refused `stale` with 401: forget it, so the next `token()` gets a new one. A newer token (another
   * call already renewed it) is kept: with several calls in flight, each stale 401 must not retire the fresh one.
   */
  refresh(stale: string): void;
}

/** Used this long before a token's stated expiry, a token is fetched anew (clocks and queues differ). */
const EXPIRY_MARGIN_MS = 60_000;

interface Fetched {
  token: string;
  /** Epoch ms after which it is not used; undefined when the issuer states no lifetime (kept until a 401). */
  expiresAt?: number | undefined;
}

/** Caches what `fetchToken` returns and shares one request among concurrent callers. */
function cachedSource(fetchToken: (options?: CallOptions) => Promise<Fetched>): TokenSource {
  let cached: Fetched | undefined;
  let inFlight: Promise<Fetched> | undefined;
  return {
    async token(options) {
      if (cached && (cached.expiresAt === undefined || Date.now() < cached.expiresAt)) return cached.token;
      // `cached` is set before `inFlight` is cleared, so a caller arriving in between never starts a second request
      inFlight ??= fetchToken(options)
        .then((fetched) => {
          cached = fetched;
          return fetched;
        })
        .finally(() => {
          inFlight = undefined;
        });
      return (await inFlight).token;
    },
    refresh(stale) {
      if (cached?.token === stale) cached = undefined;
    },
  };
}

export interface TokenEndpointDeps {
  siteId: string;
  /** Origin of the token or login host (an override, or looked up through the Domain API). */
  baseUrl: (options?: CallOptions) => Promise<string>;
  /** A transport that adds no credentials; its 400/401 are refusals of the credentials, never retried. */
  transport: Transport;
  redactor: Redactor;
}

/** The token and login endpoints, typed from specs/liveperson/auth.openapi.yaml. */
const api = createOpenApiClient<paths>('');

/**
 * Sends one token or login request (`invoke` makes the openapi-fetch call) and returns the token in `field` of its
 * 2xx body, registered with the redactor; a 400 or 401 is an AuthenticationError naming the endpoint (the
 * credentials were refused: never retried).
 */
async function askForToken(
  deps: TokenEndpointDeps,
  operation: 'fetchToken' | 'login',
  what: string,
  field: 'access_token' | 'bearer',
  invoke: (fetch: RequestFetch, baseUrl: string) => Promise<RawResult>,
  options?: CallOptions,
): Promise<{ token: string; data: Record<string, unknown> | undefined }> {
  const baseUrl = await deps.baseUrl(options);
  const op = { vendor: 'liveperson' as const, operation };
  let got: Success<unknown>;
  try {
    got = await execute<unknown>(deps.transport, op, options, (fetch) => invoke(fetch, baseUrl));
  } catch (err) {
    if (err instanceof ApiStatusError && (err.status === 400 || err.status === 401)) {
      const where = err.request?.url ?? baseUrl;
      throw new AuthenticationError(
        `liveperson ${operation}: ${where} refused the ${what} (HTTP ${err.status}); check them, and that the account is ${deps.siteId}`,
        { ...detailsOf(err), ...op },
      );
    }
    throw err;
  }
  const data = got.data as Record<string, unknown> | undefined;
  const token = data?.[field];
  if (typeof token !== 'string' || token === '')
    throw unusableResponse(
      deps.transport,
      op,
      got,
      `the ${operation === 'login' ? 'Login Service' : 'token endpoint'} returned no ${field}`,
    );
  deps.redactor.add(token);
  return { token, data };
}

/** OAuth 2.0 client credentials: `POST {sentinel}/sentinel/api/v2/account/{siteId}/app/token`, form-encoded. */
export function clientCredentialsSource(
  credentials: { clientId: string; clientSecret: string },
  deps: TokenEndpointDeps,
): TokenSource {
  const body = {
    grant_type: 'client_credentials' as const,
    client_id: credentials.clientId,
    client_secret: credentials.clientSecret,
  };
  return cachedSource(async (options) => {
    const { token, data } = await askForToken(
      deps,
      'fetchToken',
      'client credentials',
      'access_token',
      (fetch, baseUrl) =>
        api.POST('/sentinel/api/v2/account/{accountId}/app/token', {
          baseUrl,
          params: { path: { accountId: deps.siteId } },
          body,
          bodySerializer: (b) => new URLSearchParams(b).toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          fetch,
        }),
      options,
    );
    const expiresIn = data?.expires_in;
    const lifetime = typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn * 1000 : undefined;
    return {
      token,
      expiresAt: lifetime === undefined ? undefined : Date.now() + Math.max(lifetime - EXPIRY_MARGIN_MS, lifetime / 2),
    };
  });
}

/** The Login Service: `POST {agentVep}/api/account/{siteId}/login?v=1.3` with `{username, password}` → `{bearer}`. */
export function loginSource(credentials: { username: string; password: string }, deps: TokenEndpointDeps): TokenSource {
  const body = { username: credentials.username, password: credentials.password };
  return cachedSource(async (options) => {
    const { token } = await askForToken(
      deps,
      'login',
      'user name and password',
      'bearer',
      (fetch, baseUrl) =>
        api.POST('/api/account/{accountId}/login', {
          baseUrl,
          params: { path: { accountId: deps.siteId }, query: { v: '1.3' } },
          body,
          fetch,
        }),
      options,
    );
    return { token }; // sessions state no lifetime: kept until the API answers 401
  });
}

/** The caller's own function, asked for a token before every attempt (it caches as it sees fit). */
export function providerSource(provide: () => Promise<string>, redactor: Redactor): TokenSource {
  return {
    async token() {
      const token = await provide();
      if (typeof token !== 'string' || token.trim() === '')
        throw new AuthenticationError('liveperson auth.bearer: the provider function returned no token', {
          vendor: 'liveperson',
          operation: 'bearerProvider',
        });
      redactor.add(token);
      return token;
    },
    refresh() {},
  };
}
