/**
 * LivePerson credentials: OAuth 2.0 client credentials or a Login Service user (tokens fetched, cached and renewed,
 * tokens.ts), a bearer token or a function that provides one, or an OAuth 1.0a API key signed with HMAC-SHA1 per
 * request (the signature covers method, full URL and the oauth parameters, not the JSON body).
 */
import { createHmac } from 'node:crypto';
import type OAuth from 'oauth-1.0a';
import * as guard from '../core/guards.js';
import type { OutgoingRequest } from '../core/openapi-client.js';
import type { Redactor } from '../core/redact.js';
import {
  clientCredentialsSource,
  loginSource,
  providerSource,
  type TokenEndpointDeps,
  type TokenSource,
} from './tokens.js';

/** A LivePerson OAuth 1.0a API key (retired by LivePerson on 2026-05-31; kept for accounts that still accept it). */
export interface OAuth1Credentials {
  /** App key. */
  consumerKey: string;
  /** App secret. */
  consumerSecret: string;
  /** Access token. */
  token: string;
  /** Access token secret. */
  tokenSecret: string;
}

/** LivePerson made OAuth 1.0 app keys read-only on 2025-09-30 and ended the protocol on this date. */
export const LIVEPERSON_OAUTH1_END_OF_LIFE = '2026-05-31';

/** How the LivePerson client authenticates: a bearer token (Login Service or OAuth 2.0), or OAuth 1.0a keys. */
export type LivePersonAuth =
  | {
      /** OAuth 2.0 client credentials of an installed app: tokens from the Sentinel token endpoint, renewed as needed. */
      clientCredentials: {
        /** The installed app's client_id. */
        clientId: string;
        /** The installed app's client_secret (redacted everywhere). */
        clientSecret: string;
      };
    }
  | {
      /** A Login Service user: a session bearer from `login`, logged in again after a 401. */
      login: {
        /** The LivePerson user's login name. */
        username: string;
        /** Its password (redacted everywhere). */
        password: string;
      };
    }
  | {
      /**
       * A bearer token sent as `Authorization: Bearer …`, or a function that provides one (asked before every
       * attempt, and once more after a 401), to plug in your own flow.
       */
      bearer: string | (() => Promise<string>);
    }
  | {
      /** OAuth 1.0a keys, each request signed with HMAC-SHA1 (the signer loads only when these are used). */
      oauth1: OAuth1Credentials;
    };

export interface Authorizer {
  scheme: 'clientCredentials' | 'login' | 'bearer' | 'provider' | 'oauth1';
  secrets: string[];
  authorize(request: OutgoingRequest): void | Promise<void>;
  /**
   * For the schemes that can get a new token: the API answered `request` with 401, so the token it carried is
   * retired and the next attempt gets a fresh one (called by the transport, which knows which token was sent).
   */
  retire?(request: OutgoingRequest): void;
}

/** Where the token schemes send their requests: the Sentinel and Login Service hosts, and how to reach them. */
export type TokenEndpoints = (service: 'sentinel' | 'agentVep') => TokenEndpointDeps;

/** An authorizer that sends a bearer from `source`. */
function bearerFrom(scheme: Authorizer['scheme'], source: TokenSource, secrets: string[]): Authorizer {
  return {
    scheme,
    secrets,
    async authorize(request) {
      request.headers.set('authorization', `Bearer ${await source.token()}`);
    },
    retire(request) {
      const sent = request.headers.get('authorization')?.replace(/^Bearer /, '');
      if (sent) source.refresh(sent);
    },
  };
}

export function createAuthorizer(
  auth: LivePersonAuth | undefined,
  { endpoints, redactor }: { endpoints: TokenEndpoints; redactor: Redactor },
): Authorizer {
  const ctx = { vendor: 'liveperson' as const, operation: 'createLivePersonClient' };
  if (auth && 'clientCredentials' in auth) {
    const c = auth.clientCredentials ?? ({} as { clientId: string; clientSecret: string });
    const clientId = guard.nonEmptySecret(ctx, 'auth.clientCredentials.clientId', c.clientId);
    const clientSecret = guard.nonEmptySecret(ctx, 'auth.clientCredentials.clientSecret', c.clientSecret);
    const source = clientCredentialsSource({ clientId, clientSecret }, endpoints('sentinel'));
    return bearerFrom('clientCredentials', source, [clientSecret]);
  }
  if (auth && 'login' in auth) {
    const l = auth.login ?? ({} as { username: string; password: string });
    const username = guard.nonEmptySecret(ctx, 'auth.login.username', l.username);
    const password = guard.nonEmptySecret(ctx, 'auth.login.password', l.password);
    return bearerFrom('login', loginSource({ username, password }, endpoints('agentVep')), [password]);
  }
  if (auth && 'bearer' in auth && typeof auth.bearer === 'function') {
    const provide = auth.bearer;
    return bearerFrom('provider', providerSource(provide, redactor), []);
  }
  if (auth && 'bearer' in auth) {
    const bearer = guard.nonEmptySecret(ctx, 'auth.bearer', auth.bearer);
    return {
      scheme: 'bearer',
      secrets: [bearer],
      authorize(request) {
        request.headers.set('authorization', `Bearer ${bearer}`);
      },
    };
  }
  if (auth && 'oauth1' in auth) {
    const c = auth.oauth1 ?? ({} as OAuth1Credentials);
    const consumerKey = guard.nonEmptySecret(ctx, 'auth.oauth1.consumerKey', c.consumerKey);
    const consumerSecret = guard.nonEmptySecret(ctx, 'auth.oauth1.consumerSecret', c.consumerSecret);
    const token = guard.nonEmptySecret(ctx, 'auth.oauth1.token', c.token);
    const tokenSecret = guard.nonEmptySecret(ctx, 'auth.oauth1.tokenSecret', c.tokenSecret);
    // The signing library is loaded only when OAuth 1.0 keys are used (the protocol is retired; most never need it).
    let signer: Promise<OAuth> | undefined;
    const load = () =>
      (signer ??= import('oauth-1.0a').then(
        ({ default: OAuthSigner }) =>
          new OAuthSigner({
            consumer: { key: consumerKey, secret: consumerSecret },
            signature_method: 'HMAC-SHA1',
            hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64'),
          }),
      ));
    return {
      scheme: 'oauth1',
      secrets: [consumerKey, consumerSecret, token, tokenSecret],
      async authorize(request) {
        const oauth = await load();
        const signed = oauth.authorize(
          { url: request.url, method: request.method },
          { key: token, secret: tokenSecret },
        );
        request.headers.set('authorization', oauth.toHeader(signed).Authorization);
      },
    };
  }
  throw guard.invalid(
    ctx,
    'auth must be { clientCredentials: { clientId, clientSecret } }, { login: { username, password } }, { bearer } or { oauth1: { consumerKey, consumerSecret, token, tokenSecret } }',
  );
}
