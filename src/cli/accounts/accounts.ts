/**
 * Accounts: the vendor projects and sites the CLI works with, by name. They come from a config file, or, without
 * one, from today's environment variables (one account per vendor, named after it). Settings and credentials are
 * resolved only when an account is used, so a run that touches one vendor needs only that vendor's credentials.
 */
import { dirname } from 'node:path';
import type { Vendor as CliVendor } from '../../core/vendors.js';
import { LIVEPERSON_OAUTH1_END_OF_LIFE, type LivePersonAuth } from '../../liveperson/auth.js';
import { type MixpanelRegion, mixpanelOAuthTokenExpiry } from '../../mixpanel/client.js';
import { UsageError } from '../usage.js';
import {
  type AccountSettings,
  findConfigFile,
  type LivePersonAccountSettings,
  type MixpanelAccountSettings,
  readConfigFile,
} from './config-file.js';
import { checkDestinations, type HostAllowance, hostAllowances } from './hosts.js';
import {
  type Credential,
  env,
  LIVEPERSON_OAUTH1_SECRETS,
  type SecretRef,
  secretFromEnv,
  secretFromRef,
} from './secrets.js';

/** Settings for one Mixpanel project, credentials read. */
export interface MixpanelConnection {
  vendor: 'mixpanel';
  projectToken: Credential;
  oauthToken: Credential;
  /** The day the OAuth token was made (yyyy-mm-dd), if known: they last a year. */
  oauthTokenIssued?: string | undefined;
  region: MixpanelRegion;
  baseUrl?: string | undefined;
  rateLimit?: number | undefined;
  trailingSlash?: boolean | undefined;
}

/** Settings for one LivePerson site, credentials read. */
export interface LivePersonConnection {
  vendor: 'liveperson';
  siteId: string;
  auth: LivePersonAuth;
  /** Which kind of credentials, and where each part came from (said by `doctor`). */
  authKind: 'clientCredentials' | 'login' | 'bearer' | 'oauth1';
  credentials: Record<string, Credential>;
  domain?: string | undefined;
  baseUrl?: string | undefined;
  sentinelBaseUrl?: string | undefined;
  loginBaseUrl?: string | undefined;
  monthlyQuota?: number | undefined;
  quotaLedger?: string | undefined;
  cancelWindowMs?: number | undefined;
  /** Hosts besides LivePerson's own that the Domain API may name (the explicitly allowed ones). */
  allowedHosts?: string[] | undefined;
}

export type Connection = MixpanelConnection | LivePersonConnection;

export interface Account {
  name: string;
  vendor: CliVendor;
  /** Where the account is defined: a config file's path, or "environment". */
  origin: string;
  /** Its settings with credentials read; a UsageError names what is missing or wrong. */
  connect(): Connection;
}

/** Command-line settings that describe the environment's accounts (not allowed beside a config file). */
export interface AccountFlags {
  region?: string | undefined;
  siteId?: string | undefined;
  domain?: string | undefined;
  mixpanelBaseUrl?: string | undefined;
  livepersonBaseUrl?: string | undefined;
  /** --allow-host: hosts besides the vendors' own that credentials may go to. */
  allowHosts?: string[] | undefined;
}

const ENV_ORIGIN = 'environment';
const DAY_MS = 86_400_000;

/**
 * The connection, refused when a setting sends its credentials to a host that is neither the vendor's nor allowed
 * (`labels` names each setting as the user wrote it: a config key, an environment variable).
 */
function checked<T extends Connection>(
  account: string,
  where: string,
  allowances: HostAllowance[],
  labels: Partial<Record<'baseUrl' | 'domain' | 'sentinelBaseUrl' | 'loginBaseUrl', string>>,
  c: T,
): T {
  const urls: [string, string | undefined][] =
    c.vendor === 'mixpanel'
      ? [[labels.baseUrl ?? 'baseUrl', c.baseUrl]]
      : [
          [labels.baseUrl ?? 'baseUrl', c.baseUrl],
          [labels.domain ?? 'domain', c.domain === undefined ? undefined : `https://${c.domain}`],
          [labels.sentinelBaseUrl ?? 'sentinelBaseUrl', c.sentinelBaseUrl],
          [labels.loginBaseUrl ?? 'loginBaseUrl', c.loginBaseUrl],
        ];
  const given = urls.filter((u): u is [string, string] => u[1] !== undefined);
  checkDestinations(account, where, c.vendor, given, allowances);
  if (c.vendor === 'liveperson') c.allowedHosts = allowances.flatMap((a) => a.hosts);
  return c;
}

function once<T>(make: () => T): () => T {
  let done: { value: T } | undefined;
  return () => {
    done ??= { value: make() };
    return done.value;
  };
}

/** Both halves of a credential pair, or neither; one alone is a usage error naming the other. */
function envPair(first: string, second: string): [Credential, Credential] | undefined {
  const a = secretFromEnv(first); // read like a secret, so `<NAME>_FILE` works for both halves
  const b = secretFromEnv(second);
  if (!a && !b) return undefined;
  if (!a || !b)
    throw new UsageError(`${a ? second : first} is missing: set both ${first} and ${second} (each may be …_FILE)`);
  return [a, b];
}

const oauth1EndWarning = (instead: string) =>
  `warning: LivePerson ended OAuth 1.0 on ${LIVEPERSON_OAUTH1_END_OF_LIFE}; these keys may be refused (401). ` +
  `Prefer ${instead} (OAuth 2.0 client credentials).\n`;

type LivePersonSignIn = Pick<LivePersonConnection, 'auth' | 'authKind' | 'credentials'>;

/**
 * The SDK's auth for one kind of LivePerson sign-in, from its credentials (named as the SDK names them), wherever they
 * were read; OAuth 1.0 is warned about, naming what to set instead.
 */
function livePersonSignIn(
  kind: LivePersonConnection['authKind'],
  credentials: Record<string, Credential>,
  instead: string,
): LivePersonSignIn {
  const values = Object.fromEntries(Object.entries(credentials).map(([k, c]) => [k, c.value]));
  if (kind === 'oauth1') process.stderr.write(oauth1EndWarning(instead));
  const auth = (kind === 'bearer' ? { bearer: values.bearer } : { [kind]: values }) as LivePersonAuth;
  return { auth, authKind: kind, credentials };
}

const ENV_CLIENT_CREDENTIALS = 'LIVEPERSON_CLIENT_ID and LIVEPERSON_CLIENT_SECRET';

/**
 * LivePerson credentials from the environment, in this order of preference: OAuth 2.0 client credentials, a Login
 * Service user, a bearer token, OAuth 1.0 keys (retired by LivePerson: warned about).
 */
function livePersonAuthFromEnv(): LivePersonSignIn {
  const client = envPair('LIVEPERSON_CLIENT_ID', 'LIVEPERSON_CLIENT_SECRET');
  if (client)
    return livePersonSignIn(
      'clientCredentials',
      { clientId: client[0], clientSecret: client[1] },
      ENV_CLIENT_CREDENTIALS,
    );
  const user = envPair('LIVEPERSON_USERNAME', 'LIVEPERSON_PASSWORD');
  if (user) return livePersonSignIn('login', { username: user[0], password: user[1] }, ENV_CLIENT_CREDENTIALS);
  const bearer = secretFromEnv('LIVEPERSON_BEARER');
  if (bearer) return livePersonSignIn('bearer', { bearer }, ENV_CLIENT_CREDENTIALS);
  const [consumerKey, consumerSecret, token, tokenSecret] = LIVEPERSON_OAUTH1_SECRETS.map(secretFromEnv);
  if (consumerKey && consumerSecret && token && tokenSecret)
    return livePersonSignIn('oauth1', { consumerKey, consumerSecret, token, tokenSecret }, ENV_CLIENT_CREDENTIALS);
  throw new UsageError(
    'LivePerson needs LIVEPERSON_CLIENT_ID and LIVEPERSON_CLIENT_SECRET (OAuth 2.0 client credentials), or ' +
      'LIVEPERSON_USERNAME and LIVEPERSON_PASSWORD (Login Service), or LIVEPERSON_BEARER, or all of ' +
      `${LIVEPERSON_OAUTH1_SECRETS.join(', ')} (each secret may be given as …_FILE, a file holding it)`,
  );
}

function positiveIntegerEnv(name: string): number | undefined {
  const text = env(name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!(Number.isInteger(n) && n > 0))
    throw new UsageError(`${name} must be a positive integer; got ${JSON.stringify(text)}`);
  return n;
}

function booleanEnv(name: string): boolean | undefined {
  const text = env(name);
  if (text === undefined) return undefined;
  if (text === 'true' || text === 'false') return text === 'true';
  throw new UsageError(`${name} must be true or false; got ${JSON.stringify(text)}`);
}

function checkIssued(issued: string, where: string): string {
  try {
    mixpanelOAuthTokenExpiry(issued);
  } catch {
    throw new UsageError(`${where} must be the day the token was made, yyyy-mm-dd; got ${JSON.stringify(issued)}`);
  }
  return issued;
}

/** The two accounts today's environment variables describe, named after their vendors. */
function accountsFromEnv(flags: AccountFlags, allowances: HostAllowance[]): Account[] {
  const mixpanel: Account = {
    name: 'mixpanel',
    vendor: 'mixpanel',
    origin: ENV_ORIGIN,
    connect: once((): MixpanelConnection => {
      const projectToken = secretFromEnv('MIXPANEL_PROJECT_TOKEN');
      const oauthToken = secretFromEnv('MIXPANEL_OAUTH_TOKEN');
      if (!projectToken || !oauthToken)
        throw new UsageError(
          'Mixpanel needs MIXPANEL_PROJECT_TOKEN and MIXPANEL_OAUTH_TOKEN in the environment (or each as …_FILE, a file holding it)',
        );
      const issued = env('MIXPANEL_OAUTH_TOKEN_ISSUED');
      const base = { baseUrl: flags.mixpanelBaseUrl ? '--mixpanel-base-url' : 'MIXPANEL_BASE_URL' };
      return checked('mixpanel', 'the environment', allowances, base, {
        vendor: 'mixpanel',
        projectToken,
        oauthToken,
        oauthTokenIssued: issued === undefined ? undefined : checkIssued(issued, 'MIXPANEL_OAUTH_TOKEN_ISSUED'),
        region: (flags.region ?? env('MIXPANEL_REGION') ?? 'us') as MixpanelRegion,
        baseUrl: flags.mixpanelBaseUrl ?? env('MIXPANEL_BASE_URL'),
        trailingSlash: booleanEnv('MIXPANEL_TRAILING_SLASH'),
      });
    }),
  };
  const liveperson: Account = {
    name: 'liveperson',
    vendor: 'liveperson',
    origin: ENV_ORIGIN,
    connect: once((): LivePersonConnection => {
      const siteId = flags.siteId ?? env('LIVEPERSON_SITE_ID');
      if (!siteId) throw new UsageError('LivePerson needs --site-id or LIVEPERSON_SITE_ID');
      const labels = {
        baseUrl: flags.livepersonBaseUrl ? '--liveperson-base-url' : 'LIVEPERSON_BASE_URL',
        domain: flags.domain ? '--domain' : 'LIVEPERSON_DOMAIN',
        sentinelBaseUrl: 'LIVEPERSON_SENTINEL_BASE_URL',
        loginBaseUrl: 'LIVEPERSON_LOGIN_BASE_URL',
      };
      return checked('liveperson', 'the environment', allowances, labels, {
        vendor: 'liveperson',
        siteId,
        ...livePersonAuthFromEnv(),
        baseUrl: flags.livepersonBaseUrl ?? env('LIVEPERSON_BASE_URL'),
        sentinelBaseUrl: env('LIVEPERSON_SENTINEL_BASE_URL'),
        loginBaseUrl: env('LIVEPERSON_LOGIN_BASE_URL'),
        domain: flags.domain ?? env('LIVEPERSON_DOMAIN'),
        monthlyQuota: positiveIntegerEnv('LIVEPERSON_MONTHLY_QUOTA'),
        quotaLedger: env('LIVEPERSON_QUOTA_LEDGER'),
      });
    }),
  };
  return [mixpanel, liveperson];
}

/** A config account's sign-in: its one `auth` entry, each part read through its reference. */
function livePersonAuthFromConfig(s: LivePersonAccountSettings, where: string, dir: string): LivePersonSignIn {
  const [kind, refs] = Object.entries(s.auth)[0] as [
    LivePersonConnection['authKind'],
    SecretRef | Record<string, SecretRef>,
  ];
  const credentials =
    kind === 'bearer'
      ? { bearer: secretFromRef(refs as SecretRef, `${where}.auth.bearer`, dir) }
      : Object.fromEntries(
          Object.entries(refs as Record<string, SecretRef>).map(([k, ref]) => [
            k,
            secretFromRef(ref, `${where}.auth.${kind}.${k}`, dir),
          ]),
        );
  return livePersonSignIn(kind, credentials, `${where}.auth.clientCredentials`);
}

function accountFromConfig(name: string, s: AccountSettings, path: string, allowances: HostAllowance[]): Account {
  const where = `${path}: accounts.${name}`;
  const labels = {
    baseUrl: `accounts.${name}.baseUrl`,
    domain: `accounts.${name}.domain`,
    sentinelBaseUrl: `accounts.${name}.sentinelBaseUrl`,
    loginBaseUrl: `accounts.${name}.loginBaseUrl`,
  };
  const connect: () => Connection =
    s.vendor === 'mixpanel'
      ? (): MixpanelConnection => {
          const m: MixpanelAccountSettings = s;
          return checked(name, path, allowances, labels, {
            vendor: 'mixpanel',
            projectToken: secretFromRef(m.projectToken, `${where}.projectToken`, dirname(path)),
            oauthToken: secretFromRef(m.oauthToken, `${where}.oauthToken`, dirname(path)),
            oauthTokenIssued:
              m.oauthTokenIssued === undefined
                ? undefined
                : checkIssued(m.oauthTokenIssued, `${where}.oauthTokenIssued`),
            region: m.region ?? 'us',
            baseUrl: m.baseUrl,
            rateLimit: m.rateLimit,
            trailingSlash: m.trailingSlash,
          });
        }
      : (): LivePersonConnection =>
          checked(name, path, allowances, labels, {
            vendor: 'liveperson',
            siteId: s.siteId,
            ...livePersonAuthFromConfig(s, where, dirname(path)),
            domain: s.domain,
            baseUrl: s.baseUrl,
            sentinelBaseUrl: s.sentinelBaseUrl,
            loginBaseUrl: s.loginBaseUrl,
            monthlyQuota: s.monthlyQuota,
            quotaLedger: s.quotaLedger,
            cancelWindowMs: s.cancelWindowDays === undefined ? undefined : s.cancelWindowDays * DAY_MS,
          });
  return { name, vendor: s.vendor, origin: path, connect: once<Connection>(connect) };
}

/** The accounts a command works with, and how to pick one for a request. */
export class Accounts {
  constructor(
    readonly list: readonly Account[],
    /** The config file they come from; undefined when they come from the environment. */
    readonly configPath?: string,
  ) {}

  get(name: string): Account | undefined {
    return this.list.find((a) => a.name === name);
  }

  /**
   * The account for a request: the one named (which must be of that vendor), or the vendor's only account. Throws an
   * Error whose message is the problem alone (the caller says where: a line, a flag).
   */
  pick(vendor: CliVendor | undefined, name: string | undefined): Account {
    const from = this.configPath ?? 'the environment';
    if (name !== undefined && name !== '') {
      const account = this.get(name);
      if (!account) {
        const known = this.list.map((a) => a.name).join(', ');
        throw new Error(
          `no account ${JSON.stringify(name)} in ${from}${this.configPath ? ` (accounts: ${known})` : ` (without a config file the accounts are ${known})`}`,
        );
      }
      if (vendor !== undefined && account.vendor !== vendor)
        throw new Error(`account ${name} is a ${account.vendor} account, not ${vendor}`);
      return account;
    }
    if (vendor === undefined) throw new Error('give --vendor (mixpanel or liveperson) or --account');
    const candidates = this.list.filter((a) => a.vendor === vendor);
    if (candidates.length === 1) return candidates[0] as Account;
    if (candidates.length === 0) throw new Error(`${from} has no ${vendor} account`);
    throw new Error(
      `${from} has ${candidates.length} ${vendor} accounts (${candidates.map((a) => a.name).join(', ')}); name one (an account column, or --account)`,
    );
  }
}

const ACCOUNT_FLAGS: [keyof AccountFlags, string][] = [
  ['region', '--region'],
  ['siteId', '--site-id'],
  ['domain', '--domain'],
  ['mixpanelBaseUrl', '--mixpanel-base-url'],
  ['livepersonBaseUrl', '--liveperson-base-url'],
];

/** The accounts of the config file (`--config`, or the default file if present), else of the environment. */
export function loadAccounts(configFlag: string | undefined, flags: AccountFlags): Accounts {
  const path = findConfigFile(configFlag);
  if (path === undefined) return new Accounts(accountsFromEnv(flags, hostAllowances(flags.allowHosts, undefined)));
  const given = ACCOUNT_FLAGS.filter(([k]) => flags[k] !== undefined).map(([, f]) => f);
  if (given.length)
    throw new UsageError(
      `${given.join(', ')} describe the environment's account; with the config file ${path} set ${given.length > 1 ? 'them' : 'it'} in the account there`,
    );
  const config = readConfigFile(path);
  const allowances = hostAllowances(flags.allowHosts, config.allowHosts, path);
  return new Accounts(
    [...config.accounts].map(([name, s]) => accountFromConfig(name, s, path, allowances)),
    path,
  );
}

/** Mixpanel OAuth tokens last a year: how long this one has left, when its day of issue is known. */
export function mixpanelTokenExpiry(c: MixpanelConnection, now = Date.now()) {
  if (c.oauthTokenIssued === undefined) return undefined;
  const expiry = mixpanelOAuthTokenExpiry(c.oauthTokenIssued).getTime();
  return { expiry: new Date(expiry), daysLeft: Math.floor((expiry - now) / DAY_MS) };
}
