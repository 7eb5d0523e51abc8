/** Flags shared by the commands that talk to vendors, and the small parsers they use. */

import { type Command, InvalidArgumentError, Option } from 'commander';
import { VENDORS, type Vendor } from '../core/vendors.js';
import type { AccountFlags } from './accounts/accounts.js';
import type { ClientFlags } from './accounts/clients.js';

export const positiveInt = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};
/** The vendors the CLI knows, by the names used in flags and input files (the one list lives in core/vendors.ts). */
export type CliVendor = Vendor;
export { VENDORS };

/**
 * The SDK's MAX_TIMEOUT_MS (core/guards.ts), written out so that --help need not load the SDK's modules; a unit test
 * keeps the two equal.
 */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** A deadline in ms that a timer can hold (up to 2^31 - 1, about 24.8 days): a longer one would fire at once. */
const timeoutMs = (v: string) => {
  const n = positiveInt('--timeout')(v);
  if (n > MAX_TIMEOUT_MS)
    throw new InvalidArgumentError(`--timeout must be at most ${MAX_TIMEOUT_MS} ms (about 24.8 days)`);
  return n;
};
export const nonNegativeInt = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
  return n;
};

/** What --help of every command that talks to a vendor says about the environment and exit codes. */
const ENVIRONMENT_HELP = `
Accounts: privacy-deletions.config.json in the working directory (or --config <file>) names them, each credential
a reference {"env": NAME} or {"file": path} (schema: privacy-deletions/config.schema.json). Without a config file
the environment below describes one account per vendor, named mixpanel and liveperson.

Environment (each secret may instead be <NAME>_FILE, the path of a file holding it):
  Mixpanel    MIXPANEL_PROJECT_TOKEN, MIXPANEL_OAUTH_TOKEN, MIXPANEL_REGION, MIXPANEL_OAUTH_TOKEN_ISSUED,
              MIXPANEL_BASE_URL, MIXPANEL_TRAILING_SLASH (true: paths end in / as in Mixpanel's examples, the
              default; false: as in its OpenAPI file)
  LivePerson  LIVEPERSON_SITE_ID and one of, in this order of preference:
                LIVEPERSON_CLIENT_ID + LIVEPERSON_CLIENT_SECRET   OAuth 2.0 client credentials
                LIVEPERSON_USERNAME + LIVEPERSON_PASSWORD         Login Service user
                LIVEPERSON_BEARER                                 a bearer token
                LIVEPERSON_CONSUMER_KEY, _CONSUMER_SECRET, _TOKEN, _TOKEN_SECRET   OAuth 1.0 (ended 2026-05-31)
              LIVEPERSON_BASE_URL, LIVEPERSON_SENTINEL_BASE_URL, LIVEPERSON_LOGIN_BASE_URL, LIVEPERSON_DOMAIN,
              LIVEPERSON_MONTHLY_QUOTA, LIVEPERSON_QUOTA_LEDGER
  Hosts       PRIVACY_DELETIONS_ALLOW_HOSTS: hosts (comma-separated; host or host:port) besides the vendors' own
              that a base URL or domain may name (a proxy, the sandbox); each is warned about on every run
  Journal     PRIVACY_DELETIONS_HASH_SALT (for --hash-ids)

Exit codes: 0 all ok; 1 not all ok (a request not cancelled, a read failed or not sent, a --subject that matched
no open request); 2 usage error (flags, input, credentials, a config file or host refused, an unusable journal,
ledger or registry; nothing sent); 3 create made the request but could not count it; 130 interrupted (resume with
--resume).`;

export function connectionOptions(cmd: Command): Command {
  return cmd
    .addHelpText('after', ENVIRONMENT_HELP)
    .addOption(new Option('--vendor <vendor>', 'mixpanel or liveperson').choices([...VENDORS]))
    .option('--config <file>', 'accounts file (default: privacy-deletions.config.json here, if present)')
    .option('--account <name>', 'the account for ids given as arguments, and for input lines that name none')
    .option('--region <region>', 'Mixpanel data residency: us, eu or in (env MIXPANEL_REGION)')
    .option('--site-id <id>', 'LivePerson account id (env LIVEPERSON_SITE_ID)')
    .option(
      '--domain <host>',
      'LivePerson rtbf host; looked up through the Domain API when omitted (env LIVEPERSON_DOMAIN)',
    )
    .option('--mixpanel-base-url <url>', 'override the Mixpanel API base URL (env MIXPANEL_BASE_URL)')
    .option('--liveperson-base-url <url>', 'override the LivePerson API base URL (env LIVEPERSON_BASE_URL)')
    .option(
      '--allow-host <host>',
      "let credentials go to this host (host or host:port; repeatable), not only to the vendor's own (env PRIVACY_DELETIONS_ALLOW_HOSTS)",
      (v: string, all: string[] = []) => [...all, v],
    )
    .option(
      '--rate-limit <n>',
      "Mixpanel requests per second per project (default: the account's rateLimit, else 1)",
      positiveInt('--rate-limit'),
    )
    .option('--timeout <ms>', 'deadline per HTTP attempt in ms', timeoutMs, 30_000)
    .option('--retries <n>', 'retries per request', nonNegativeInt('--retries'), 2);
}

/** The flags that describe the environment's accounts (refused beside a config file). */
export function accountFlagsOf(o: Record<string, unknown>): AccountFlags {
  return {
    region: o.region as string | undefined,
    siteId: o.siteId as string | undefined,
    domain: o.domain as string | undefined,
    mixpanelBaseUrl: o.mixpanelBaseUrl as string | undefined,
    livepersonBaseUrl: o.livepersonBaseUrl as string | undefined,
    allowHosts: o.allowHost as string[] | undefined,
  };
}

/** The flags that say how clients behave, for every account. */
export function clientFlagsOf(o: Record<string, unknown>): ClientFlags {
  return {
    rateLimit: o.rateLimit as number | undefined,
    timeout: o.timeout as number,
    retries: o.retries as number,
  };
}
