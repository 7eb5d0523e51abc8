/**
 * The request registry as the SDK sees it: something that remembers each deletion request a client created, with the
 * subjects it holds, so a request can later be found by person. The SDK only calls `record` after a create the
 * vendor accepted; storing (and hashing subject ids) is the registry's business: `privacy-deletions/registry` has a
 * SQLite one.
 */
import type { Vendor } from './vendors.js';

/** One created request, as the SDK reports it to a registry. */
export interface RequestCreated {
  /** The vendor that made it. */
  vendor: Vendor;
  /** The caller's name for the vendor account (project or site); the SDK passes `registryAccount`. */
  account: string;
  /** The vendor's id for it (Mixpanel tracking id, LivePerson request id). */
  requestId: string;
  /** When the vendor made it (ISO 8601): LivePerson's `request_time` when returned, else the moment of the answer. */
  requestedAt: string;
  /** What the subject ids are: `distinct_id` (Mixpanel) or the LivePerson deletion type (`consumer`, …). */
  idType: string;
  /** The subjects' ids, as sent. A registry should not keep them in plain text. */
  subjects: string[];
}

/** Where the SDK reports each request a create made (see `privacy-deletions/registry` for one on disk). */
export interface RequestRegistry {
  /** Called once per created request; a failure is reported, never turned into a failed create. */
  record(created: RequestCreated): void | Promise<void>;
}

/** The client options that turn the registry on. */
export interface RegistryOptions {
  /** Told about every request a create made (opt-in): e.g. `openRegistry()` from `privacy-deletions/registry`. */
  registry?: RequestRegistry;
  /** The account name the registry files this client's requests under (default: the vendor's name). */
  registryAccount?: string;
}

/** Tells the registry about a create; a registry that fails leaves the create standing and says so. */
export async function recordCreated(registry: RequestRegistry | undefined, created: RequestCreated): Promise<void> {
  if (!registry) return;
  try {
    await registry.record(created);
  } catch (err) {
    process.emitWarning(
      `${created.vendor} request ${created.requestId} was created but the registry could not record it: ${(err as Error)?.message ?? err}`,
      { code: 'PRIVACY_DELETIONS_REGISTRY' },
    );
  }
}
