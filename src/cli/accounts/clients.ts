/** Builds SDK clients for accounts, one per account, when a command first needs it. */
import { type CancelWindowState, cancelWindowState, type RefusalRules } from '../../core/cancel.js';
import { AuthenticationError, InvalidInputError, MonthlyQuotaError, PermissionDeniedError } from '../../core/errors.js';
import type { RequestRegistry } from '../../core/registry.js';
import type { Vendor as CliVendor } from '../../core/vendors.js';
import {
  createLivePersonClient,
  LIVEPERSON_STATUS_RULES,
  type LivePersonClient,
  livePersonCancellableUntil,
  livePersonStatus,
} from '../../liveperson/client.js';
import { createMixpanelClient, MIXPANEL_STATUS_RULES, type MixpanelClient } from '../../mixpanel/client.js';
import { defaultQuotaLedgerPath, FileQuotaLedger } from '../store/quota-ledger.js';
import { UsageError } from '../usage.js';
import {
  type Account,
  type Accounts,
  type LivePersonConnection,
  type MixpanelConnection,
  mixpanelTokenExpiry,
} from './accounts.js';

/** How a command wants its clients to behave (the same for every account). */
export interface ClientFlags {
  /** Mixpanel requests per second (else the account's, else 1); false turns the limiter off (dry runs send nothing). */
  rateLimit?: number | false | undefined;
  timeout?: number | undefined;
  retries?: number | undefined;
  fetch?: typeof fetch;
  /** LivePerson creates per month before a local refusal (else the account's, else 100). */
  monthlyQuota?: number | undefined;
  /** Where the monthly count of LivePerson creates is kept (else the account's, else the default file). */
  quotaLedger?: string | undefined;
  /** Told when that count could not be updated after a create was sent (the create itself stands). */
  onLedgerError?: (error: unknown, path: string) => void;
  /** LivePerson's cancel window, for the `cancellableUntil` estimate (else the account's, else 5 days). */
  cancelWindowMs?: number | undefined;
  /** Told about every request a create made, filed under the account's name. */
  registry?: RequestRegistry | undefined;
}

function common(flags: ClientFlags, account: string) {
  return {
    ...(flags.registry ? { registry: flags.registry, registryAccount: account } : {}),
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

/** Mixpanel OAuth tokens last a year and nothing else warns before one runs out in the middle of a deadline. */
function warnIfTokenExpiring(account: Account, c: MixpanelConnection): void {
  const left = mixpanelTokenExpiry(c);
  if (!left) return;
  const when = left.expiry.toISOString().slice(0, 10);
  const which =
    account.origin === 'environment'
      ? `the Mixpanel OAuth token (MIXPANEL_OAUTH_TOKEN_ISSUED ${c.oauthTokenIssued})`
      : `the Mixpanel OAuth token of account ${account.name} (oauthTokenIssued ${c.oauthTokenIssued})`;
  if (left.expiry.getTime() <= Date.now()) process.stderr.write(`warning: ${which} expired ${when}\n`);
  else if (left.daysLeft < 30) process.stderr.write(`warning: ${which} expires ${when}, in ${left.daysLeft} day(s)\n`);
}

export function mixpanelClient(account: Account, c: MixpanelConnection, flags: ClientFlags): MixpanelClient {
  warnIfTokenExpiring(account, c);
  const rate = flags.rateLimit === false ? false : (flags.rateLimit ?? c.rateLimit ?? 1);
  return wrap(() =>
    createMixpanelClient({
      projectToken: c.projectToken.value,
      oauthToken: c.oauthToken.value,
      ...(c.oauthTokenIssued ? { oauthTokenIssuedAt: c.oauthTokenIssued } : {}),
      region: c.region,
      ...(c.baseUrl ? { baseUrl: c.baseUrl } : {}),
      ...(c.trailingSlash === undefined ? {} : { trailingSlash: c.trailingSlash }),
      rateLimit: rate === false ? false : { requests: rate, intervalMs: 1000 },
      ...common(flags, account.name),
    }),
  );
}

export function livePersonClient(c: LivePersonConnection, flags: ClientFlags, account: string): LivePersonClient {
  const ledger = new FileQuotaLedger(flags.quotaLedger ?? c.quotaLedger ?? defaultQuotaLedgerPath());
  const limit = flags.monthlyQuota ?? c.monthlyQuota;
  const { onLedgerError } = flags;
  return wrap(() =>
    createLivePersonClient({
      siteId: c.siteId,
      auth: c.auth,
      ...(c.baseUrl ? { baseUrl: c.baseUrl } : {}),
      ...(c.domain ? { domain: c.domain } : {}),
      ...(c.sentinelBaseUrl ? { sentinelBaseUrl: c.sentinelBaseUrl } : {}),
      ...(c.loginBaseUrl ? { loginBaseUrl: c.loginBaseUrl } : {}),
      ...(c.allowedHosts?.length ? { allowedHosts: c.allowedHosts } : {}),
      monthlyQuota: {
        ledger,
        ...(limit === undefined ? {} : { limit }),
        ...(onLedgerError ? { onLedgerError: (error: unknown) => onLedgerError(error, ledger.path) } : {}),
      },
      ...common(flags, account),
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

/**
 * Why the run stopped sending to an account: the first error every later request would meet too. Credentials
 * refused (401) or without the permission (403) stop every request to the account; LivePerson's monthly quota stops
 * its creates only.
 */
export interface AccountHalt {
  /** The error class that stopped it. */
  error: string;
  /** `all`, or `creates` (the monthly quota). */
  scope: 'all' | 'creates';
  /** The client method that met it (`cancelDeletion`, `getDeletionRequest`, …). */
  operation: string;
  /** The request it met it on, when the call named one. */
  requestId?: string | undefined;
  /** The input line of that request, when a bulk run knows it. */
  line?: number | undefined;
}

/** Thrown instead of sending: an earlier request of this run showed the account's credentials (or quota) are refused. */
export class AccountHaltedError extends Error {
  override name = 'AccountHaltedError';
  constructor(
    readonly account: string,
    readonly halt: AccountHalt,
  ) {
    super(
      `not sent: the vendor refused an earlier request of account ${account} in this run (${halt.line === undefined ? `${halt.operation}${halt.requestId ? ` of ${halt.requestId}` : ''}` : `line ${halt.line}`}) with ${halt.error}; fix that and run again`,
    );
  }
}

/** Methods that only read local state: never stopped. */
const LOCAL_METHODS = new Set(['quotaUsage']);
const CREATE_METHODS = new Set(['createDeletion', 'createDeletionRequest']);

function haltScope(err: unknown): AccountHalt['scope'] | undefined {
  if (err instanceof AuthenticationError || err instanceof PermissionDeniedError) return 'all';
  if (err instanceof MonthlyQuotaError) return 'creates';
  return undefined;
}

/**
 * The client with every sending method behind the account's halt: once a call meets a refusal that every later call
 * would meet too, later calls throw {@link AccountHaltedError} without sending, whichever command or phase makes them.
 */
function gated<T extends object>(client: T, account: string, halts: Map<string, AccountHalt>): T {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string' || LOCAL_METHODS.has(prop)) return value;
      return async (...args: unknown[]) => {
        const halt = halts.get(account);
        if (halt && (halt.scope === 'all' || CREATE_METHODS.has(prop))) throw new AccountHaltedError(account, halt);
        try {
          return await value.apply(target, args);
        } catch (err) {
          const scope = haltScope(err);
          const earlier = halts.get(account);
          if (scope && (!earlier || (earlier.scope === 'creates' && scope === 'all'))) {
            const id = typeof args[0] === 'string' || typeof args[0] === 'number' ? String(args[0]) : undefined;
            halts.set(account, { error: (err as Error).name, scope, operation: prop, requestId: id });
          }
          throw err;
        }
      };
    },
  });
}

/** Lazily built clients, one per account, so a run needs only the credentials of the accounts it touches. */
export function clientPool(accounts: Accounts, flags: ClientFlags) {
  const made = new Map<string, MixpanelClient | LivePersonClient>();
  const halts = new Map<string, AccountHalt>();
  const account = (name: string): Account => {
    const a = accounts.get(name);
    if (!a) throw new UsageError(`no account ${JSON.stringify(name)}`);
    return a;
  };
  return {
    accounts,
    /** Accounts this pool stopped sending to, and why (every command reports them and exits non-zero). */
    halts,
    mixpanel(name: string): MixpanelClient {
      const a = account(name);
      const c = a.connect();
      if (c.vendor !== 'mixpanel') throw new UsageError(`account ${name} is a ${c.vendor} account, not mixpanel`);
      const client = (made.get(name) as MixpanelClient | undefined) ?? gated(mixpanelClient(a, c, flags), name, halts);
      made.set(name, client);
      return client;
    },
    liveperson(name: string): LivePersonClient {
      const c = account(name).connect();
      if (c.vendor !== 'liveperson') throw new UsageError(`account ${name} is a ${c.vendor} account, not liveperson`);
      const client =
        (made.get(name) as LivePersonClient | undefined) ?? gated(livePersonClient(c, flags, name), name, halts);
      made.set(name, client);
      return client;
    },
    /** Builds the account's client now, so bad settings or credentials are a usage error before anything is sent. */
    prepare(name: string): void {
      if (account(name).vendor === 'mixpanel') this.mixpanel(name);
      else this.liveperson(name);
    },
    cancel(vendor: CliVendor, name: string, id: string) {
      return vendor === 'mixpanel'
        ? this.mixpanel(name).cancelDeletion(id)
        : this.liveperson(name).cancelDeletionRequest(id);
    },
    /**
     * The vendor status of a request, what it means for a cancel, and for LivePerson when it is expected to turn
     * final (an estimate).
     */
    async readStatus(vendor: CliVendor, name: string, id: string): Promise<StatusRead> {
      if (vendor === 'mixpanel') {
        const deletion = await this.mixpanel(name).getDeletion(id);
        return {
          status: deletion.status,
          state: cancelWindowState(STATUS_RULES.mixpanel, deletion.status),
          record: deletion,
        };
      }
      const client = this.liveperson(name);
      const c = account(name).connect() as LivePersonConnection;
      const request = await client.getDeletionRequest(id);
      const status = livePersonStatus(request);
      const cancellableUntil = livePersonCancellableUntil(request, flags.cancelWindowMs ?? c.cancelWindowMs);
      return { status, state: cancelWindowState(STATUS_RULES.liveperson, status), record: request, cancellableUntil };
    },
  };
}

export type ClientPool = ReturnType<typeof clientPool>;

/** What a command prints for each account it stopped sending to; true when there was any (the command exits non-zero). */
export function reportHalts(halts: Map<string, AccountHalt>, notDone: (account: string) => string): boolean {
  for (const [account, h] of halts) {
    const where = h.line === undefined ? `${h.operation}${h.requestId ? ` of ${h.requestId}` : ''}` : `line ${h.line}`;
    process.stderr.write(
      `${account}: stopped sending ${h.scope === 'creates' ? 'creates ' : ''}after ${h.error} at ${where}; ${notDone(account)}\n`,
    );
  }
  return halts.size > 0;
}
