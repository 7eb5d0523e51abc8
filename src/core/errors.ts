/**
 * Public error hierarchy. Every failure the SDK raises is a PrivacyApiError; the subclass says what kind.
 * Bodies and URLs are redacted before they are stored here, so printing, inspecting or serialising an error
 * never reveals a credential.
 */
/** The vendors the SDK talks to. */
import type { Vendor } from './vendors.js';

export type { Vendor };

/** The request an error is about: method and redacted URL. */
export interface SentRequest {
  /** HTTP method. */
  method: string;
  /** URL with credentials and the `token` query parameter redacted. */
  url: string;
}

/** What an error carries, as given to its constructor. */
export interface ErrorDetails {
  /** Which vendor the call went to. */
  vendor: Vendor;
  /** The SDK operation, e.g. `cancelDeletion`. */
  operation: string;
  /** HTTP status, when the vendor answered. */
  status?: number | undefined;
  /** Response headers (redacted; `set-cookie` left out). */
  headers?: Record<string, string> | undefined;
  /** Parsed response body (JSON value or text), redacted. Its shape is not guaranteed by the vendor. */
  body?: unknown;
  /** Vendor request id from the response headers, when present. */
  requestId?: string | undefined;
  /** Method and redacted URL of the last request sent, when one was sent. */
  request?: SentRequest | undefined;
  /** How many HTTP attempts were made (0 when refused before sending). */
  attempts?: number | undefined;
  /** What led to this error (a redacted message, or the error of a failed status read). */
  cause?: unknown;
}

/**
 * Every failure the SDK raises; the subclass says what kind. Nothing on it (message, body, headers, URL, request id)
 * holds a credential.
 *
 * @example
 * ```ts
 * try {
 *   await mixpanel.cancelDeletion(trackingId);
 * } catch (err) {
 *   if (err instanceof PrivacyApiError) console.error(err.name, err.status, err.requestId, err.attempts);
 *   throw err;
 * }
 * ```
 */
export class PrivacyApiError extends Error {
  /** The class name, e.g. `ConflictError`: stable, for logs and receipts. */
  override name = 'PrivacyApiError';
  /** Which vendor the call went to. */
  readonly vendor: Vendor;
  /** The SDK operation, e.g. `cancelDeletion`. */
  readonly operation: string;
  /** HTTP status, when the vendor answered. */
  readonly status: number | undefined;
  /** Response headers (redacted; `set-cookie` left out). */
  readonly headers: Record<string, string> | undefined;
  /** Parsed response body (JSON value or text), redacted; an over-long one is a truncated preview. */
  readonly body: unknown;
  /** The vendor's request id from the response headers (redacted), for their support. */
  readonly requestId: string | undefined;
  /** Method and redacted URL of the last request sent, when one was sent. */
  readonly request: SentRequest | undefined;
  /** How many HTTP attempts were made (0 when refused before sending). */
  readonly attempts: number;

  constructor(message: string, details: ErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.vendor = details.vendor;
    this.operation = details.operation;
    this.status = details.status;
    this.headers = details.headers;
    this.body = details.body;
    this.requestId = details.requestId;
    this.request = details.request;
    this.attempts = details.attempts ?? 0;
  }

  /** What `JSON.stringify(err)` shows: the fields above and the message, all redacted. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      vendor: this.vendor,
      operation: this.operation,
      status: this.status,
      requestId: this.requestId,
      request: this.request,
      attempts: this.attempts,
      body: this.body,
    };
  }
}

/** Input refused before any request was sent (empty ids, path traversal, too many ids, bad options). */
export class InvalidInputError extends PrivacyApiError {
  override name = 'InvalidInputError';
}

/** The vendor could not be reached or the connection failed mid-request. */
export class ConnectionError extends PrivacyApiError {
  override name = 'ConnectionError';
}

/** The request did not finish before its deadline. */
export class TimeoutError extends ConnectionError {
  override name = 'TimeoutError';
}

/** The caller aborted the request through its own AbortSignal. */
export class AbortedError extends PrivacyApiError {
  override name = 'AbortedError';
}

/** The vendor answered with a status the SDK has no more specific class for. */
export class ApiStatusError extends PrivacyApiError {
  override name = 'ApiStatusError';
}

/** 400 / 422: the vendor rejected the request as malformed. */
export class BadRequestError extends ApiStatusError {
  override name = 'BadRequestError';
}

/** 401: missing, wrong or expired credentials. */
export class AuthenticationError extends ApiStatusError {
  override name = 'AuthenticationError';
}

/** 403: the credentials lack the needed permission. */
export class PermissionDeniedError extends ApiStatusError {
  override name = 'PermissionDeniedError';
}

/** 404: no such request at the vendor. */
export class NotFoundError extends ApiStatusError {
  override name = 'NotFoundError';
}

/** 409: Mixpanel refuses a deletion whose distinct ids already have a task; nothing was created. */
export class ConflictError extends ApiStatusError {
  override name = 'ConflictError';
  /** Mixpanel: the distinct ids that already have a running deletion task. */
  readonly conflictingDistinctIds: string[];
  /** Mixpanel: the tasks that hold them. */
  readonly conflictingTaskIds: string[];
  constructor(
    message: string,
    details: ErrorDetails & { conflictingDistinctIds?: string[]; conflictingTaskIds?: string[] },
  ) {
    super(message, details);
    this.conflictingDistinctIds = details.conflictingDistinctIds ?? [];
    this.conflictingTaskIds = details.conflictingTaskIds ?? [];
  }
  /** As for every error, plus the conflicting ids and tasks. */
  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      conflictingDistinctIds: this.conflictingDistinctIds,
      conflictingTaskIds: this.conflictingTaskIds,
    };
  }
}

/** 429: too many requests; transient (Mixpanel allows 1 request per second per project). */
export class RateLimitError extends ApiStatusError {
  override name = 'RateLimitError';
}

/** LivePerson 429: the account's monthly request quota (100 by default) is used up. Not transient, never retried. */
export class MonthlyQuotaError extends RateLimitError {
  override name = 'MonthlyQuotaError';
}

/** 5xx: the vendor failed. */
export class ServerError extends ApiStatusError {
  override name = 'ServerError';
}

/**
 * The same kind of error with a longer message and a cause: a vendor's refusal explained further (or left
 * unexplained because the status read failed) stays a ConflictError, NotFoundError, … with all its details.
 */
export function restated<E extends PrivacyApiError>(err: E, message: string, cause?: unknown): E {
  const Kind = err.constructor as new (message: string, details: ErrorDetails & Record<string, unknown>) => E;
  return new Kind(message, {
    ...detailsOf(err),
    ...(err instanceof ConflictError
      ? { conflictingDistinctIds: err.conflictingDistinctIds, conflictingTaskIds: err.conflictingTaskIds }
      : {}),
    cause,
  });
}

/** What an error was made from (no message, no cause): to make another error about the same exchange. */
export function detailsOf(err: PrivacyApiError): ErrorDetails {
  const { vendor, operation, status, headers, body, requestId, request, attempts } = err;
  return { vendor, operation, status, headers, body, requestId, request, attempts };
}
