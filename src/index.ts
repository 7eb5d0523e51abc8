/** privacy-deletions: typed SDK for cancelling (and creating, checking) personal-data deletion requests. */
export type { CancelOutcome, CancelResult } from './core/cancel.js';
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
  ServerError,
  TimeoutError,
  type Vendor,
} from './core/errors.js';
export type { RateLimitOptions } from './core/limiter.js';
export type { CallOptions } from './core/request.js';
export type {
  ClientOptions,
  RequestLogEntry,
  RequestLogger,
  RetryOptions,
} from './core/transport.js';
export { DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_MS } from './core/transport.js';
export { PACKAGE_VERSION, USER_AGENT } from './core/version.js';
export {
  type CreateDeletionRequestInput,
  createLivePersonClient,
  LIVEPERSON_DEFAULT_CANCEL_WINDOW_MS,
  LIVEPERSON_DELETION_TYPES,
  LIVEPERSON_MAX_IDS,
  type ListFilters,
  type LivePersonAuth,
  type LivePersonClient,
  type LivePersonClientOptions,
  type LivePersonDeletionRequest,
  type LivePersonStatus,
  livePersonCancellableUntil,
  livePersonStatus,
  type MonthlyQuotaOptions,
  type OAuth1Credentials,
  type QuotaLedger,
  type QuotaUsage,
} from './liveperson/client.js';
export { LIVEPERSON_DEFAULT_MONTHLY_QUOTA, MemoryQuotaLedger } from './liveperson/quota.js';
export {
  type ComplianceType,
  createMixpanelClient,
  type DisclosureType,
  MIXPANEL_DEFAULT_RATE_LIMIT,
  MIXPANEL_MAX_DISTINCT_IDS,
  MIXPANEL_MAX_DISTINCT_IDS_DOCUMENTED,
  MIXPANEL_REGIONS,
  type MixpanelClient,
  type MixpanelClientOptions,
  type MixpanelDeletion,
  type MixpanelDeletionCreated,
  type MixpanelDeletionInput,
  type MixpanelRegion,
  type MixpanelRetrieval,
  type MixpanelTaskCreated,
  type MixpanelTaskStatus,
  mixpanelOAuthTokenExpiry,
} from './mixpanel/client.js';
