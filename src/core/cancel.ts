/**
 * Cancel outcomes, shared by both vendors. A cancel never answers with a bare boolean: when the vendor refuses,
 * the request's status is read once and the refusal is explained from it.
 */
import { ApiStatusError, BadRequestError, ConflictError, NotFoundError, type Vendor } from './errors.js';

export type CancelOutcome = 'cancelled' | 'already_cancelled' | 'too_late' | 'not_found';

export interface CancelResult {
  vendor: Vendor;
  requestId: string;
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

/** Vendor rules for reading a status after a refused cancel. */
export interface RefusalRules {
  alreadyCancelled: readonly string[];
  tooLate: readonly string[];
  notFound: readonly string[];
}

/** Refusals are the 4xx answers that mean "this request cannot be cancelled"; auth, quota and 5xx are not. */
export function isCancelRefusal(err: unknown): err is ApiStatusError {
  if (err instanceof NotFoundError || err instanceof ConflictError || err instanceof BadRequestError) return true;
  return err instanceof ApiStatusError && (err.status === 405 || err.status === 410);
}

export function outcomeFromStatus(
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

export function cancelResult(
  vendor: Vendor,
  requestId: string,
  outcome: CancelOutcome,
  httpStatus: number,
  vendorStatus?: string,
): CancelResult {
  const detail = `${EXPLAIN[outcome]}${vendorStatus ? ` (vendor status ${vendorStatus})` : ''}`;
  return { vendor, requestId, outcome, vendorStatus, httpStatus, detail, decidedAt: new Date().toISOString() };
}

/**
 * Explains a refused cancel by reading the status once. If the status does not explain the refusal (the request
 * still looks cancellable, or the status is unknown), the original refusal is thrown: the SDK does not guess.
 */
export async function explainRefusal(options: {
  vendor: Vendor;
  requestId: string;
  httpStatus: number;
  refusal: ApiStatusError | undefined;
  rules: RefusalRules;
  readStatus: () => Promise<StatusReading>;
}): Promise<CancelResult> {
  let reading: StatusReading;
  try {
    reading = await options.readStatus();
  } catch (err) {
    if (err instanceof NotFoundError) reading = { status: undefined };
    else throw err;
  }
  const outcome = outcomeFromStatus(options.rules, reading.status);
  if (outcome) return cancelResult(options.vendor, options.requestId, outcome, options.httpStatus, reading.status);
  const why = `the vendor refused the cancel, yet the request's status is ${reading.status ?? 'unknown'}`;
  if (options.refusal) {
    throw new ApiStatusError(`${options.refusal.message}; ${why}`, {
      vendor: options.refusal.vendor,
      operation: options.refusal.operation,
      status: options.refusal.status,
      headers: options.refusal.headers,
      body: options.refusal.body,
      requestId: options.refusal.requestId,
      request: options.refusal.request,
      attempts: options.refusal.attempts,
    });
  }
  throw new ApiStatusError(`${options.vendor} cancel: ${why}`, {
    vendor: options.vendor,
    operation: 'cancel',
    status: options.httpStatus,
  });
}
