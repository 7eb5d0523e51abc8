/**
 * LivePerson allows 100 create requests per calendar month by default and answers 429 beyond that (a quota, not a
 * rate limit). A local count of the creates this client sent lets the SDK say how many remain and refuse, before
 * sending, a create that LivePerson would refuse anyway. It misses creates made elsewhere and counts a 5xx or timeout
 * that LivePerson may have acted on (a 4xx refusal is not counted).
 */
import { ConnectionError, type ErrorDetails, MonthlyQuotaError, ServerError } from '../core/errors.js';

/** Where counts live: in memory by default; the CLI keeps them in a file so they last between runs. */
export interface QuotaLedger {
  /** Creates counted for `key` (site id and UTC month, e.g. `92186583:2026-11`). */
  get(key: string): number;
  /** Stores the count for `key`. */
  set(key: string, count: number): void;
}

/** The default ledger: counts kept in memory, for this process only. */
export class MemoryQuotaLedger implements QuotaLedger {
  readonly #counts = new Map<string, number>();
  /** Creates counted for `key`. */
  get(key: string): number {
    return this.#counts.get(key) ?? 0;
  }
  /** Stores the count for `key`. */
  set(key: string, count: number): void {
    this.#counts.set(key, count);
  }
}

/** How the LivePerson client counts its creates against the monthly quota. */
export interface MonthlyQuotaOptions {
  /** Creates allowed per calendar month (UTC); LivePerson's default is 100, raised on request by the account team. */
  limit?: number;
  /** Where counts are kept (default in memory); the CLI keeps them in a file. */
  ledger?: QuotaLedger;
  /** Clock, for tests. */
  now?: () => Date;
  /**
   * Called when the ledger cannot record a create that was sent (a full disk, a read-only file). The create's own
   * result is still returned (or its error thrown): a request the vendor made must never look like a failure.
   * Default: a process warning.
   */
  onLedgerError?: (error: unknown) => void;
}

/** The month's local count of creates. */
export interface QuotaUsage {
  /** yyyy-mm (UTC). */
  month: string;
  /** Creates counted this month. */
  used: number;
  /** Creates allowed this month. */
  limit: number;
  /** `limit − used`, at least 0. */
  remaining: number;
}

/** LivePerson's default monthly limit on create requests. */
export const LIVEPERSON_DEFAULT_MONTHLY_QUOTA = 100;

export function monthlyQuota(siteId: string, options: MonthlyQuotaOptions = {}) {
  const limit = options.limit ?? LIVEPERSON_DEFAULT_MONTHLY_QUOTA;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError('monthlyQuota.limit must be a positive integer');
  const ledger = options.ledger ?? new MemoryQuotaLedger();
  const now = options.now ?? (() => new Date());
  const onLedgerError =
    options.onLedgerError ??
    ((error: unknown) =>
      process.emitWarning(
        `privacy-deletions: the LivePerson monthly quota count could not be updated after a create: ${(error as Error)?.message ?? error}`,
      ));
  const month = () => now().toISOString().slice(0, 7);
  const key = () => `${siteId}:${month()}`;

  const usage = (): QuotaUsage => {
    const used = ledger.get(key());
    return { month: month(), used, limit, remaining: Math.max(0, limit - used) };
  };
  return {
    usage,
    /** Refuses, without sending, a create the month's quota has no room for. */
    beforeCreate(op: Pick<ErrorDetails, 'vendor' | 'operation'>): void {
      const u = usage();
      if (u.remaining > 0) return;
      throw new MonthlyQuotaError(
        `liveperson ${op.operation}: ${u.used} of ${u.limit} create requests already sent in ${u.month} (local count); ` +
          'not sent, LivePerson would refuse it with 429. If the account has a higher threshold, raise monthlyQuota.limit.',
        { ...op, attempts: 0 },
      );
    },
    /**
     * Records how a create ended: success, or a 5xx or timeout after sending (LivePerson may have acted), counts one;
     * a vendor 429 means the month is used up, whatever the local count says; a 4xx refusal, or a request never
     * sent, uses nothing.
     */
    settled(err?: unknown): void {
      const k = key();
      try {
        if (err instanceof MonthlyQuotaError) ledger.set(k, Math.max(ledger.get(k), limit));
        else if (
          err === undefined ||
          err instanceof ServerError ||
          (err instanceof ConnectionError && err.attempts > 0)
        )
          ledger.set(k, ledger.get(k) + 1);
      } catch (ledgerError) {
        onLedgerError(ledgerError);
      }
    },
  };
}
