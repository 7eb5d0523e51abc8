/** `privacy-deletions/liveperson`: the LivePerson client alone, with the shared errors and types (a smaller import). */
export * from '../core/public.js';
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
} from './client.js';
export { LIVEPERSON_DEFAULT_MONTHLY_QUOTA, MemoryQuotaLedger } from './quota.js';
