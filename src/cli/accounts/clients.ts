/**
 * Builds SDK clients from flags and environment. Secrets come only from the environment (or from a file it names,
 * `<NAME>_FILE`, for Docker/Kubernetes secrets and systemd credentials), never from flags.
 */
import { readFileSync } from 'node:fs';
import { type CancelWindowState, cancelWindowState, type RefusalRules } from '../core/cancel.js';
import { InvalidInputError } from '../core/errors.js';
import { Redactor } from '../core/redact.js';
import { LIVEPERSON_OAUTH1_END_OF_LIFE } from '../liveperson/auth.js';
import {
  createLivePersonClient,
  LIVEPERSON_STATUS_RULES,
  type LivePersonAuth,
  type LivePersonClient,
  livePersonCancellableUntil,
  livePersonStatus,
} from '../liveperson/client.js';
import {
  createMixpanelClient,
  MIXPANEL_STATUS_RULES,
  type MixpanelClient,
  type MixpanelRegion,
  mixpanelOAuthTokenExpiry,
} from '../mixpanel/client.js';
import type { CliVendor } from './options.js';
import { defaultQuotaLedgerPath, FileQuotaLedger } from './store/quota-ledger.js';
import { fileProblem, UsageError } from './usage.js';

export interface ConnectionFlags {
  region?: string;
  siteId?: string;
  domain?: string;
  mixpanelBaseUrl?: string;
  livepersonBaseUrl?: string;
  /** Mixpanel requests per second; false turns the limiter off (dry runs send nothing). */
  rateLimit?: number | false;
  timeout?: number;
  retries?: number;
  fetch?: typeof fetch;
  /** LivePerson creates per month before a local refusal (env LIVEPERSON_MONTHLY_QUOTA, default 100). */
  monthlyQuota?: number;
  /** Where the monthly count of LivePerson creates is kept (env LIVEPERSON_QUOTA_LEDGER). */
  quotaLedger?: string;
  /** Told when that count could not be updated after a create was sent (the create itself stands). */
  onLedgerError?: (error: unknown, path: string) => void;
  /** LivePerson's cancel window, for the `cancellableUntil` estimate (default 5 days). */
  cancelWindowMs?: number;
}

const env = (name: string) => {
  const v = process.env[name];
  return v && v.trim() !== '' ? v : undefined;
};

const secretsRead = new Map<string, string | undefined>();

/**
 * A secret from `NAME`, or from the file `NAME_FILE` names (trailing newline dropped); not both. Read once per
 * process: the redactor and the clients ask for the same secrets.
 */
function secret(name: string): string | undefined {
  if (!secretsRead.has(name)) secretsRead.set(name, readSecret(name));
  return secretsRead.get(name);
}

function readSecret(name: string): string | undefined {
  const direct = env(name);
  const file = env(`${name}_FILE`);
  if (direct && file) throw new UsageError(`set ${name} or ${name}_FILE, not both`);
  if (!file) return direct;
  try {
    const value = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    return value.trim() === '' ? undefined : value;
  } catch (err) {
    throw fileProblem(`${name}_FILE`, file, err);
  }
}

const LIVEPERSON_OAUTH1_SECRETS = [
  'LIVEPERSON_CONSUMER_KEY',
  'LIVEPERSON_CONSUMER_SECRET',
  'LIVEPERSON_TOKEN',
  'LIVEPERSON_TOKEN_SECRET',
] as const;
const HASH_SALT = 'PRIVACY_DELETIONS_HASH_SALT';
const SECRET_NAMES = [
  'MIXPANEL_PROJECT_TOKEN',
  'MIXPANEL_OAUTH_TOKEN',
  'LIVEPERSON_CLIENT_SECRET',
  'LIVEPERSON_PASSWORD',
  'LIVEPERSON_BEARER',
  ...LIVEPERSON_OAUTH1_SECRETS,
  // Whoever knows the salt can test candidate ids against a hashed journal, so it is kept like a credential.
  HASH_SALT,
];

/** The salt for --hash-ids from the environment (`PRIVACY_DELETIONS_HASH_SALT` or `…_FILE`). */
export const hashSaltFromEnv = () => secret(HASH_SALT);

/** One redactor for everything the CLI prints: every secret it can find (an unreadable file is reported later). */
export const cliRedactor = () =>
  new Redactor(
    SECRET_NAMES.flatMap((n) => {
      try {
        return [secret(n)].filter((v): v is string => v !== undefined);
      } catch {
        return [];
      }
    }),
  );

function common(flags: ConnectionFlags) {
  return {
    ...(flags.timeout === undefined ? {} : { timeoutMs: flags.timeout }),
    ...(flags.retries === undefined ? {} : { maxRetries: flags.retries }),
    ...(flags.fetch ? { fetch: flags.fetch } : {}),
  };
}

function wrap<T>(make: () => T): T {
  try {
    return make();
  } catch (err) {
    if (err instanceof InvalidInputError) throw new UsageError(err.message);
    throw err;
  }
}

export function mixpanelClient(flags: ConnectionFlags): MixpanelClient {
  const projectToken = secret('MIXPANEL_PROJECT_TOKEN');
  const oauthToken = secret('MIXPANEL_OAUTH_TOKEN');
  if (!projectToken || !oauthToken)
    throw new UsageError(
      'Mixpanel needs MIXPANEL_PROJECT_TOKEN and MIXPANEL_OAUTH_TOKEN in the environment (or each as …_FILE, a file holding it)',
    );
  const baseUrl = flags.mixpanelBaseUrl ?? env('MIXPANEL_BASE_URL');
  const issued = env('MIXPANEL_OAUTH_TOKEN_ISSUED');
  if (issued) warnIfTokenExpiring(issued);
  return wrap(() =>
    createMixpanelClient({
      projectToken,
      oauthToken,
      ...(issued ? { oauthTokenIssuedAt: issued } : {}),
      region: (flags.region ?? env('MIXPANEL_REGION') ?? 'us') as MixpanelRegion,
      ...(baseUrl ? { baseUrl } : {}),
      rateLimit: flags.rateLimit === false ? false : { requests: flags.rateLimit ?? 1, intervalMs: 1000 },
      ...common(flags),
    }),
  );
}

/** Mixpanel OAuth tokens last a year and nothing else warns before one runs out in the middle of a deadline. */
function warnIfTokenExpiring(issued: string, now = Date.now()): void {
  let expiry: number;
  try {
    expiry = mixpanelOAuthTokenExpiry(issued).getTime();
  } catch {
    throw new UsageError(
      `MIXPANEL_OAUTH_TOKEN_ISSUED must be the day the token was made, yyyy-mm-dd; got ${JSON.stringify(issued)}`,
    );
  }
  const days = Math.floor((expiry - now) / 86_400_000);
  const when = new Date(expiry).toISOString().slice(0, 10);
  if (expiry <= now) {
    process.stderr.write(`warning: the Mixpanel OAuth token (MIXPANEL_OAUTH_TOKEN_ISSUED ${issued}) expired ${when}\n`);
  } else if (days < 30) {
    process.stderr.write(
      `warning: the Mixpanel OAuth token (MIXPANEL_OAUTH_TOKEN_ISSUED ${issued}) expires ${when}, in ${days} day(s)\n`,
    );
  }
}

/** Both halves of a credential pair, or neither; one alone is a usage error naming the other. */
function pair(first: string, second: string): [string, string] | undefined {
  const a = secret(first); // read like a secret, so `<NAME>_FILE` works for both halves
  const b = secret(second);
  if (!a && !b) return undefined;
  if (!a || !b)
    throw new UsageError(`${a ? second : first} is missing: set both ${first} and ${second} (each may be …_FILE)`);
  return [a, b];
}

/**
 * LivePerson credentials from the environment, in this order of preference: OAuth 2.0 client credentials, a Login
 * Service user, a bearer token, OAuth 1.0 keys (retired by LivePerson: warned about).
 */
function livePersonAuthFromEnv(): LivePersonAuth {
  const client = pair('LIVEPERSON_CLIENT_ID', 'LIVEPERSON_CLIENT_SECRET');
  if (client) return { clientCredentials: { clientId: client[0], clientSecret: client[1] } };
  const user = pair('LIVEPERSON_USERNAME', 'LIVEPERSON_PASSWORD');
  if (user) return { login: { username: user[0], password: user[1] } };
  const bearer = secret('LIVEPERSON_BEARER');
  if (bearer) return { bearer };
  const oauth = LIVEPERSON_OAUTH1_SECRETS.map(secret);
  if (oauth.every(Boolean)) {
    const [consumerKey, consumerSecret, token, tokenSecret] = oauth as string[];
    process.stderr.write(
      `warning: LivePerson ended OAuth 1.0 on ${LIVEPERSON_OAUTH1_END_OF_LIFE}; these keys may be refused (401). ` +
        'Prefer LIVEPERSON_CLIENT_ID and LIVEPERSON_CLIENT_SECRET (OAuth 2.0 client credentials).\n',
    );
    return {
      oauth1: {
        consumerKey: consumerKey as string,
        consumerSecret: consumerSecret as string,
        token: token as string,
        tokenSecret: tokenSecret as string,
      },
    };
  }
  throw new UsageError(
    'LivePerson needs LIVEPERSON_CLIENT_ID and LIVEPERSON_CLIENT_SECRET (OAuth 2.0 client credentials), or ' +
      'LIVEPERSON_USERNAME and LIVEPERSON_PASSWORD (Login Service), or LIVEPERSON_BEARER, or all of ' +
      `${LIVEPERSON_OAUTH1_SECRETS.join(', ')} (each secret may be given as …_FILE, a file holding it)`,
  );
}

export function livePersonClient(flags: ConnectionFlags): LivePersonClient {
  const siteId = flags.siteId ?? env('LIVEPERSON_SITE_ID');
  if (!siteId) throw new UsageError('LivePerson needs --site-id or LIVEPERSON_SITE_ID');
  const auth = livePersonAuthFromEnv();
  const baseUrl = flags.livepersonBaseUrl ?? env('LIVEPERSON_BASE_URL');
  const sentinelBaseUrl = env('LIVEPERSON_SENTINEL_BASE_URL');
  const loginBaseUrl = env('LIVEPERSON_LOGIN_BASE_URL');
  const domain = flags.domain ?? env('LIVEPERSON_DOMAIN');
  const quotaText = env('LIVEPERSON_MONTHLY_QUOTA');
  const limit = flags.monthlyQuota ?? (quotaText === undefined ? undefined : Number(quotaText));
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0))
    throw new UsageError(`LIVEPERSON_MONTHLY_QUOTA must be a positive integer; got ${JSON.stringify(quotaText)}`);
  const ledger = new FileQuotaLedger(flags.quotaLedger ?? env('LIVEPERSON_QUOTA_LEDGER') ?? defaultQuotaLedgerPath());
  const { onLedgerError } = flags;
  return wrap(() =>
    createLivePersonClient({
      siteId,
      auth,
      ...(baseUrl ? { baseUrl } : {}),
      ...(domain ? { domain } : {}),
      ...(sentinelBaseUrl ? { sentinelBaseUrl } : {}),
      ...(loginBaseUrl ? { loginBaseUrl } : {}),
      monthlyQuota: {
        ledger,
        ...(limit === undefined ? {} : { limit }),
        ...(onLedgerError ? { onLedgerError: (error: unknown) => onLedgerError(error, ledger.path) } : {}),
      },
      ...common(flags),
    }),
  );
}

/** What each vendor's status words mean for a cancel (the SDK's own rules). */
export const STATUS_RULES: Record<CliVendor, RefusalRules> = {
  mixpanel: MIXPANEL_STATUS_RULES,
  liveperson: LIVEPERSON_STATUS_RULES,
};

export interface StatusRead {
  status: string;
  state: CancelWindowState;
  record: unknown;
  cancellableUntil?: string | undefined;
}

/** Lazily built clients, one per vendor, so a run that touches one vendor needs only its credentials. */
export function clientPool(flags: ConnectionFlags) {
  let mp: MixpanelClient | undefined;
  let lp: LivePersonClient | undefined;
  return {
    mixpanel: () => {
      mp ??= mixpanelClient(flags);
      return mp;
    },
    liveperson: () => {
      lp ??= livePersonClient(flags);
      return lp;
    },
    for(vendor: CliVendor) {
      return vendor === 'mixpanel' ? this.mixpanel() : this.liveperson();
    },
    /**
     * The vendor status of a request, what it means for a cancel, and for LivePerson when it is expected to turn
     * final (an estimate).
     */
    async readStatus(vendor: CliVendor, id: string): Promise<StatusRead> {
      if (vendor === 'mixpanel') {
        const deletion = await this.mixpanel().getDeletion(id);
        return {
          status: deletion.status,
          state: cancelWindowState(STATUS_RULES.mixpanel, deletion.status),
          record: deletion,
        };
      }
      const request = await this.liveperson().getDeletionRequest(id);
      const status = livePersonStatus(request);
      const cancellableUntil = livePersonCancellableUntil(request, flags.cancelWindowMs);
      return { status, state: cancelWindowState(STATUS_RULES.liveperson, status), record: request, cancellableUntil };
    },
  };
}
