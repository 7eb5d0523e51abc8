/**
 * The vendors this package speaks to: the one list and the one name type. Everything else that needs the set of
 * vendors (the CLI's `--vendor`, the store, the error classes) takes it from here.
 */
export const VENDORS = ['mixpanel', 'liveperson'] as const;

/** A vendor's name, as errors, receipts, journals and the store write it. */
export type Vendor = (typeof VENDORS)[number];
