/** `privacy-deletions/mixpanel`: the Mixpanel client alone, with the shared errors and types (a smaller import). */
export * from '../core/public.js';
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
} from './client.js';
