/** What every entry point (`privacy-deletions`, `/mixpanel`, `/liveperson`) exports from the shared core. */
export type { CancelOutcome, CancelResult } from './cancel.js';
export {
  AbortedError,
  ApiStatusError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  ConnectionError,
  type ErrorDetails,
  InvalidInputError,
  MonthlyQuotaError,
  NotFoundError,
  PermissionDeniedError,
  PrivacyApiError,
  RateLimitError,
  type SentRequest,
  ServerError,
  TimeoutError,
  type Vendor,
} from './errors.js';
export type { RateLimitOptions } from './limiter.js';
export type { RegistryOptions, RequestCreated, RequestRegistry } from './registry.js';
export type { CallOptions } from './request.js';
export type { ClientOptions, RequestLogEntry, RequestLogger, RetryOptions } from './transport.js';
export { DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_MS } from './transport.js';
export { PACKAGE_VERSION, USER_AGENT } from './version.js';
