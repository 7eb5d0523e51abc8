/**
 * `privacy-deletions/registry`: the local request registry (SQLite through better-sqlite3), which records every
 * request a client creates with its subjects as salted digests, so requests can be found again by person. Its
 * methods return Promises (the store's interface, which a server database implements too).
 *
 * @example
 * ```ts
 * import { createMixpanelClient } from 'privacy-deletions';
 * import { openRegistry } from 'privacy-deletions/registry';
 *
 * const registry = openRegistry('/var/lib/privacy/registry.db', { salt: process.env.PRIVACY_DELETIONS_HASH_SALT! });
 * const mixpanel = createMixpanelClient({ projectToken: '…', oauthToken: '…', registry, registryAccount: 'mp-eu' });
 * ```
 */
export type { RequestCreated, RequestRegistry } from '../core/registry.js';
export type {
  DeadlineEntry,
  OpenRegistryOptions,
  RegisteredRequest,
  RegistrationDetails,
  RequestStore,
  StateChange,
  SubjectMatch,
} from '../store/request-store.js';
export { openRegistry } from '../store/sqlite.js';
