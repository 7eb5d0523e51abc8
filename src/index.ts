/**
 * privacy-deletions: typed SDK for cancelling (and creating, checking) personal-data deletion requests.
 * One vendor only? `privacy-deletions/mixpanel` or `privacy-deletions/liveperson` import less.
 */
export * from './liveperson/index.js';
export * from './mixpanel/index.js';
