/**
 * Finds a LivePerson host through the Domain API: `rtbf` (Personal Data Deletion), `sentinel` (OAuth 2.0 tokens),
 * `agentVep` (Login Service). LivePerson asks clients not to hard-code these hosts, so each is looked up once per
 * client and cached; a failed lookup is not cached.
 */
import { outgoing } from '../core/openapi-client.js';
import { type CallOptions, execute, unusableResponse } from '../core/request.js';
import type { Transport } from '../core/transport.js';

export const DEFAULT_DOMAIN_API = 'https://api.liveperson.net';
const HOST = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+(:\d{1,5})?$/i;

/**
 * Whether a host (with an optional port) is one of LivePerson's: a name under `liveperson.net` on the default https
 * port, as every host the Domain API documents (va.data-mng.liveperson.net, lo.sentinel.liveperson.net, …) is.
 */
export function isLivePersonHost(host: string): boolean {
  return /^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+liveperson\.net(:443)?$/i.test(host);
}

/**
 * `allowedHosts`: hosts other than LivePerson's that the Domain API may name (a test server, a proxy the account
 * explicitly allows). Any other host it names is refused: it would receive the account's token.
 */
export function createDomainResolver(
  transport: Transport,
  domainApiBaseUrl: string,
  siteId: string,
  service = 'rtbf',
  allowedHosts: readonly string[] = [],
) {
  let cached: Promise<string> | undefined;
  const op = { vendor: 'liveperson' as const, operation: 'resolveDomain' };

  async function lookup(options?: CallOptions): Promise<string> {
    const url = `${domainApiBaseUrl}/api/account/${encodeURIComponent(siteId)}/service/${service}/baseURI.json?version=1.0`;
    const found = await execute<unknown>(transport, op, options, async (fetch) => {
      const response = await fetch(outgoing(url, { headers: { accept: 'application/json' } }));
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {}
      return response.ok ? { data: parsed, response } : { error: parsed, response };
    });
    // Single-service shape {service, account, baseURI}; all-services shape {baseURIs: [...]} also accepted.
    const d = found.data as { baseURI?: unknown; baseURIs?: { service?: unknown; baseURI?: unknown }[] } | undefined;
    const host = d?.baseURI ?? d?.baseURIs?.find((b) => b.service === service)?.baseURI;
    if (typeof host !== 'string' || !HOST.test(host)) {
      throw unusableResponse(transport, op, found, `the Domain API returned no usable host for service ${service}`);
    }
    if (!isLivePersonHost(host) && !allowedHosts.some((a) => a.toLowerCase() === host.toLowerCase()))
      throw unusableResponse(
        transport,
        op,
        found,
        `the Domain API named ${host} for service ${service}, which is not a LivePerson host (under liveperson.net, port 443); nothing was sent there (allowedHosts admits a host by name)`,
      );
    return `https://${host}`;
  }

  return (options?: CallOptions): Promise<string> => {
    if (!cached) {
      cached = lookup(options);
      cached.catch(() => {
        cached = undefined;
      });
    }
    return cached;
  };
}
