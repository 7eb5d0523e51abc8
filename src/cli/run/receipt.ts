/**
 * A receipt: what happened to one request in a cancel run, as the table, JSON Lines, the journal's final record and
 * `report` show it. One type for all of them, in its own room, so the run and its outputs import it from here.
 */
import type { Vendor } from '../../core/vendors.js';

export type ReceiptOutcome = 'cancelled' | 'already_cancelled' | 'too_late' | 'not_found' | 'unconfirmed' | 'failed';

export interface Receipt {
  line?: number | undefined;
  vendor: Vendor;
  /** The account the request belongs to. */
  account: string;
  requestId: string;
  outcome: ReceiptOutcome;
  vendorStatus?: string | undefined;
  httpStatus?: number | undefined;
  /** true: a status read confirmed the cancel; false: it did not; 'skipped': --no-verify; undefined: not applicable. */
  verified?: boolean | 'skipped' | undefined;
  verifiedStatus?: string | undefined;
  detail: string;
  error?: string | undefined;
  /** An accepted cancel whose confirming status read failed (outcome `unconfirmed`): that read's error class. */
  verifyError?: string | undefined;
  /** The outcome comes from the journal of an earlier run (--resume). */
  resumed?: boolean;
  /** Nothing was sent for this request: the vendor had already refused the whole run (credentials, quota). */
  notSent?: boolean;
  at: string;
}

export const SUCCESS_OUTCOMES: readonly ReceiptOutcome[] = ['cancelled', 'already_cancelled'];
/** Outcomes the vendor decided: --resume never sends these again. `failed` and `unconfirmed` are retried. */
export const TERMINAL_OUTCOMES: readonly ReceiptOutcome[] = ['cancelled', 'already_cancelled', 'too_late', 'not_found'];
