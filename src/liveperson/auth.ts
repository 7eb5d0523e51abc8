/**
 * LivePerson credentials: a Login Service bearer token, or an OAuth 1.0a API key signed with HMAC-SHA1 per request
 * (the signature covers method, full URL and the oauth parameters, not the JSON body).
 */
import { createHmac } from 'node:crypto';
import type OAuth from 'oauth-1.0a';
import * as guard from '../core/guards.js';
import type { OutgoingRequest } from '../core/openapi-client.js';

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
      /** A Login Service bearer or an OAuth 2.0 access token, sent as `Authorization: Bearer …`. */
      bearer: string;
    }
  | {
      /** OAuth 1.0a keys, each request signed with HMAC-SHA1 (the signer loads only when these are used). */
      oauth1: OAuth1Credentials;
    };

export interface Authorizer {
  scheme: 'bearer' | 'oauth1';
  secrets: string[];
  authorize(request: OutgoingRequest): void | Promise<void>;
}

export function createAuthorizer(auth: LivePersonAuth | undefined): Authorizer {
  const ctx = { vendor: 'liveperson' as const, operation: 'createLivePersonClient' };
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
    'auth must be { bearer } or { oauth1: { consumerKey, consumerSecret, token, tokenSecret } }',
  );
}
