/**
 * What one HTTP exchange with a vendor means, shared by the transport (which sends it) and the request runner (which
 * decides on its answer): per-call options, the operation it belongs to, the vendor's request id and headers as they
 * may be shown, and the default error class for a status. Kept apart so that neither imports the other.
 */
import {
  ApiStatusError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  type ErrorDetails,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  ServerError,
  type Vendor,
} from './errors.js';
import type { Redactor } from './redact.js';

/** Per-call options accepted by every client method. */
export interface CallOptions {
  /** Aborts this call (combined with the SDK's own deadline). */
  signal?: AbortSignal;
  /** Deadline per HTTP attempt in milliseconds (overrides the client's). */
  timeoutMs?: number;
  /** Retries for this call (overrides the client's). */
  maxRetries?: number;
}

export interface Operation {
  vendor: Vendor;
  operation: string;
}

const REQUEST_ID_HEADERS = ['x-request-id', 'x-lp-request-id', 'request-id', 'x-amzn-requestid', 'x-correlation-id'];

/** The vendor's request id from the response headers, redacted like every other string that leaves the SDK. */
export function requestIdOf(headers: Headers, redactor: Redactor): string | undefined {
  for (const name of REQUEST_ID_HEADERS) {
    const value = headers.get(name);
    if (value) return redactor.string(value);
  }
  return undefined;
}

export function headersObject(headers: Headers, redactor: Redactor): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, key) => {
    if (key !== 'set-cookie') out[key] = redactor.string(value);
  });
  return out;
}

/** A short, redacted vendor message for the error text, if the body has one. */
function vendorMessage(body: unknown): string | undefined {
  const pick = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
  if (typeof body === 'string') return pick(body);
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    const nested = b.error && typeof b.error === 'object' ? (b.error as Record<string, unknown>) : undefined;
    return pick(b.message) ?? pick(b.error) ?? pick(nested?.error) ?? pick(b.detail) ?? pick(b.title);
  }
  return undefined;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Per status, what it most likely means at this vendor and what to do: appended to the error message. */
export type StatusHints = Partial<Record<number, () => string | undefined>>;

/**
 * Default status → class mapping shared by both vendors; vendors override single statuses (LivePerson 429) and may
 * add a hint to a status's message (an expired Mixpanel token, LivePerson's retired OAuth 1.0).
 */
export function defaultErrorForStatus(details: ErrorDetails & { status: number }, hints?: StatusHints): ApiStatusError {
  const { vendor, operation, status } = details;
  const said = vendorMessage(details.body);
  const hint = hints?.[status]?.();
  const text = (what: string) =>
    `${vendor} ${operation} failed: HTTP ${status} ${what}${said ? `: ${said.slice(0, 200)}` : ''}${hint ? `. ${hint}` : ''}`;
  if (status === 400 || status === 422) return new BadRequestError(text('bad request'), details);
  if (status === 401) return new AuthenticationError(text('unauthorized (check the token and its expiry)'), details);
  if (status === 403) return new PermissionDeniedError(text('forbidden (the credentials lack permission)'), details);
  if (status === 404) return new NotFoundError(text('not found'), details);
  if (status === 409) {
    const error = (details.body as { error?: unknown } | undefined)?.error;
    const conflict = error && typeof error === 'object' ? (error as Record<string, unknown>) : {};
    const conflictingDistinctIds = strings(conflict.conflicting_distinct_ids);
    const conflictingTaskIds = strings(conflict.conflicting_task_ids);
    const summary = conflictingDistinctIds.length
      ? `${conflictingDistinctIds.length} id(s) already in task(s) ${conflictingTaskIds.join(', ') || '(unnamed)'}`
      : 'conflict';
    return new ConflictError(text(summary), { ...details, conflictingDistinctIds, conflictingTaskIds });
  }
  if (status === 429) return new RateLimitError(text('too many requests'), details);
  if (status >= 500) return new ServerError(text('server error'), details);
  return new ApiStatusError(text('unexpected status'), details);
}
