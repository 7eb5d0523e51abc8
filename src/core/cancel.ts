/**
 * Cancel outcomes, shared by both vendors. A cancel never answers with a bare boolean: when the vendor refuses,
 * the request's status is read once and the refusal is explained from it.
 */
import { ApiStatusError, BadRequestError, ConflictError, NotFoundError, restated, type Vendor } from './errors.js';

/** The four answers a cancel can have; anything else is thrown. */
export type CancelOutcome = 'cancelled' | 'already_cancelled' | 'too_late' | 'not_found';

/** What a cancel did, explained: never a bare boolean. */
export interface CancelResult {
  /** Which vendor. */
  vendor: Vendor;
  /** The request id as sent (LivePerson: without leading zeros; Mixpanel: Unicode NFC). */
  requestId: string;
  /** `cancelled`, `already_cancelled`, `too_late` or `not_found`. */
  outcome: CancelOutcome;
  /** The vendor's own status word behind the outcome (e.g. REVOKED, STARTED, CANCELED, DONE), when known. */
  vendorStatus?: string | undefined;
  /** HTTP status of the cancel call itself. */
  httpStatus: number;
  /** One sentence a DPO can read: what happened and why. */
  detail: string;
  /** When the outcome was determined (ISO 8601). */
  decidedAt: string;
}

/** The vendor's answer to a status read during refusal handling; `undefined` status = the vendor has no such id. */
export interface StatusReading {
  status: string | undefined;
}

/** Vendor rules for what a status word means for a cancel (after a refusal, and for `status` reports). */
export interface RefusalRules {
  /** Still inside the cancel window: a cancel sent now should be accepted. */
  cancellable: readonly string[];
  alreadyCancelled: readonly string[];
  tooLate: readonly string[];
  notFound: readonly string[];
}

/** Where a request stands for a cancel, read from its status: the outcome a cancel would have, or `cancellable`. */
export type CancelWindowState = 'cancellable' | Exclude<CancelOutcome, 'cancelled'> | 'unknown';

export function cancelWindowState(rules: RefusalRules, status: string | undefined): CancelWindowState {
  if (status !== undefined && rules.cancellable.includes(status.toUpperCase())) return 'cancellable';
  return outcomeFromStatus(rules, status) ?? 'unknown';
}

/** Refusals are the 4xx answers that mean "this request cannot be cancelled"; auth, quota and 5xx are not. */
function isCancelRefusal(err: unknown): err is ApiStatusError {
  if (err instanceof NotFoundError || err instanceof ConflictError || err instanceof BadRequestError) return true;
  return err instanceof ApiStatusError && (err.status === 405 || err.status === 410);
}

function outcomeFromStatus(
  rules: RefusalRules,
  status: string | undefined,
): Exclude<CancelOutcome, 'cancelled'> | undefined {
  if (status === undefined) return 'not_found';
  const s = status.toUpperCase();
  if (rules.alreadyCancelled.includes(s)) return 'already_cancelled';
  if (rules.tooLate.includes(s)) return 'too_late';
  if (rules.notFound.includes(s)) return 'not_found';
  return undefined;
}

const EXPLAIN: Record<CancelOutcome, string> = {
  cancelled: 'the vendor accepted the cancel',
  already_cancelled: 'the request had already been cancelled',
  too_late: 'the request is past its cancel window and will not be stopped',
  not_found: 'the vendor has no request with this id',
};

function cancelResult(
  vendor: Vendor,
  requestId: string,
  outcome: CancelOutcome,
  httpStatus: number,
  vendorStatus?: string,
): CancelResult {
  const detail = `${EXPLAIN[outcome]}${vendorStatus ? ` (vendor status ${vendorStatus})` : ''}`;
  return { vendor, requestId, outcome, vendorStatus, httpStatus, detail, decidedAt: new Date().toISOString() };
}

/** What a vendor's cancel call answered, when it answered with a 2xx. */
export interface CancelAnswer {
  /** The vendor says the request is now cancelled (Mixpanel 204, LivePerson `is_canceled: true`). */
  accepted: boolean;
  httpStatus: number;
  vendorStatus?: string;
}

/**
 * Sends a cancel and turns the answer into an outcome. An acceptance is `cancelled`. A refusal (a 4xx that means
 * "not cancellable", or a 2xx that does not accept) is explained by reading the status once; if the status does not
 * explain it (the request still looks cancellable, or its status is unknown), the refusal is thrown: no guessing.
 */
export async function cancelAndExplain(options: {
  vendor: Vendor;
  requestId: string;
  rules: RefusalRules;
  send: () => Promise<CancelAnswer>;
  readStatus: () => Promise<StatusReading>;
}): Promise<CancelResult> {
  const { vendor, requestId } = options;
  let refusal: ApiStatusError | undefined;
  let httpStatus: number;
  try {
    const answer = await options.send();
    if (answer.accepted) return cancelResult(vendor, requestId, 'cancelled', answer.httpStatus, answer.vendorStatus);
    httpStatus = answer.httpStatus;
  } catch (err) {
    if (!isCancelRefusal(err)) throw err;
    refusal = err;
    httpStatus = err.status ?? 0;
  }

  // What is thrown when the status cannot explain the refusal: the refusal itself, of its own class (a ConflictError
  // keeps its conflicting ids), so the caller always learns that the vendor refused.
  const unexplained = (why: string, cause?: unknown) =>
    refusal
      ? restated(refusal, `${refusal.message}; ${why}`, cause)
      : new ApiStatusError(`${vendor} cancel: the vendor did not accept the cancel (HTTP ${httpStatus}); ${why}`, {
          vendor,
          operation: 'cancel',
          status: httpStatus,
          cause,
        });

  let reading: StatusReading;
  try {
    reading = await options.readStatus();
  } catch (err) {
    if (err instanceof NotFoundError) reading = { status: undefined };
    else {
      const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      throw unexplained(`the status read that would explain the refusal failed (${what})`, err);
    }
  }
  const outcome = outcomeFromStatus(options.rules, reading.status);
  if (outcome) return cancelResult(vendor, requestId, outcome, httpStatus, reading.status);
  throw unexplained(`the vendor refused the cancel, yet the request's status is ${reading.status ?? 'unknown'}`);
}
