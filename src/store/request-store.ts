/**
 * The store: the one authority for every deletion request the tool knows (its subjects as digests, its state, its
 * deadline). Asynchronous throughout, so a server database can implement it as well as the embedded SQLite one
 * (sqlite.ts); every command reads what the store says and writes back what it learns.
 */

import type { RequestCreated, RequestRegistry } from '../core/registry.js';
import type { Vendor } from '../core/vendors.js';

/** A request as the registry knows it. */
export interface RegisteredRequest {
  /** The vendor that made it. */
  vendor: Vendor;
  /** The account (project or site) it was made in. */
  account: string;
  /** The vendor's id for it. */
  requestId: string;
  /** When the vendor made it (ISO 8601). */
  requestedAt: string;
  /** What the subject ids are: `distinct_id`, or the LivePerson deletion type. */
  idType: string;
  /** How many subjects it holds. */
  subjectCount: number;
  /** Why it was made (`create --reason`). */
  reason?: string | undefined;
  /** The ticket or case it answers (`create --ticket`). */
  ticket?: string | undefined;
  /** Who made it. */
  actor: string;
  /** open (may still run), cancelled, final (past its window, or done), superseded (split: replaced by another). */
  state: 'open' | 'cancelled' | 'final' | 'superseded';
  /** LivePerson: `requestedAt` + the account's cancel window; Mixpanel has no clock (undefined). */
  windowClosesAt?: string | undefined;
  /** The vendor status last read. */
  vendorStatus?: string | undefined;
  /** When it was read. */
  statusReadAt?: string | undefined;
}

/** What a create adds beside the SDK's report: why, for which ticket, by whom, and the account's cancel window. */
export interface RegistrationDetails {
  /** Why. */
  reason?: string | undefined;
  /** The ticket or case. */
  ticket?: string | undefined;
  /** Who. */
  actor: string;
  /** LivePerson's cancel window for this account, in ms (default 5 days); ignored for Mixpanel. */
  cancelWindowMs?: number | undefined;
  /** What a status read at registration (an import) means for the request: open, cancelled or final. */
  state?: RegisteredRequest['state'] | undefined;
  /** The vendor's status word that read returned. */
  vendorStatus?: string | undefined;
}

export interface RequestStore extends RequestRegistry {
  /** Records a created request (idempotent: the same vendor, account and id is kept once). */
  register(created: RequestCreated, details: RegistrationDetails): Promise<void>;
  /**
   * Records many in one transaction (an import): all of them, or none after a crash. A request already known keeps
   * what the store knew; `details.state` and `details.vendorStatus` (the status read at import) are recorded for
   * every entry, so a request the vendor already cancelled or finished is never listed as open.
   */
  registerMany(entries: [RequestCreated, RegistrationDetails][]): Promise<StateChange[]>;
  /** Open requests holding any of these subjects, each with how many of its subjects are among them. */
  holding(subjects: string[]): Promise<SubjectMatch[]>;
  /** Open requests, the soonest-closing window first (Mixpanel's, which have none, after). */
  open(): Promise<RegisteredRequest[]>;
  /**
   * The same list as {@link RequestStore.open}, streamed row by row with only what a deadline list shows, read from
   * one covering index: flat memory and well under a second at 100,000 requests. Read it to the end (or `return()`)
   * before writing to this store: SQLite keeps the connection busy while it is open.
   */
  deadlines(): AsyncIterableIterator<DeadlineEntry>;
  /** One request, if registered. */
  get(vendor: string, account: string, requestId: string): Promise<RegisteredRequest | undefined>;
  /**
   * Updates what is known of a request: its state, and the vendor status read. Resolves to what changed, or
   * undefined when the request is not registered.
   */
  update(
    vendor: string,
    account: string,
    requestId: string,
    change: { state?: RegisteredRequest['state']; vendorStatus?: string },
  ): Promise<StateChange | undefined>;
  /**
   * A request's subject ids, when this registry keeps them in plain text (made with `plainSubjects`); undefined for
   * digests, which cannot be turned back into ids, or for a request it does not know.
   */
  subjectsOf(vendor: string, account: string, requestId: string): Promise<string[] | undefined>;
  /** Whether this subject id (hashed as stored) is among a request's subjects. */
  holds(vendor: string, account: string, requestId: string, subject: string): Promise<boolean>;
  /**
   * Records a step of a split (a request cancelled and its other subjects re-submitted), so any later command finds
   * an unfinished one, whatever ran in between. `spared`: the subjects the split is for (kept as digests).
   */
  recordSplitStep(
    vendor: string,
    account: string,
    requestId: string,
    step: SplitStep,
    extra?: { spared?: string[]; others?: number; newId?: string },
  ): Promise<void>;
  /** The split of a request, as far as it got. */
  splitOf(vendor: string, account: string, requestId: string): Promise<SplitState | undefined>;
  /** Every split that has not reached `done`, oldest first. */
  unfinishedSplits(): Promise<SplitState[]>;
  /** Whether a subject id is among those a split spares (compared as stored: digests). */
  spares(split: SplitState, subject: string): boolean;
  /**
   * Claims a request for `holder` until `leaseMs` from now, before anything is sent for it: refused (with who holds
   * it) while another holder's lease runs; a lease whose holder died runs out and may be taken. `takeOverFrom`: a
   * holder the caller knows to be dead (a process gone on this host), whose claim is taken at once.
   */
  claim(
    vendor: string,
    account: string,
    requestId: string,
    holder: string,
    leaseMs: number,
    takeOverFrom?: string,
  ): Promise<ClaimResult>;
  /** Gives a claim back (only its holder's). */
  release(vendor: string, account: string, requestId: string, holder: string): Promise<void>;
  /** Closes the database. */
  close(): Promise<void>;
}

/** The steps of a split, in the order they happen at one vendor or the other (see cli/run/split.ts). */
export type SplitStep = 'planned' | 'cancel-sent' | 'cancel-accepted' | 'create-sent' | 'created' | 'done';

/** A split as the store knows it. */
export interface SplitState {
  /** The vendor of the request being split. */
  vendor: RegisteredRequest['vendor'];
  /** Its account. */
  account: string;
  /** The request being split. */
  requestId: string;
  /** Every step recorded so far, with when. */
  steps: { step: SplitStep; at: string }[];
  /** How many other subjects are re-submitted. */
  others?: number | undefined;
  /** The request that holds them, once created. */
  newId?: string | undefined;
  /** Digests of the subjects it spares (compare with {@link RequestStore.spares}). */
  spared: string[];
}

/** A claim taken, or who holds it. */
export type ClaimResult = { taken: true } | { taken: false; holder: string; until: string };

/** What an update or an import changed about one request (the state before and after, and the status read). */
export interface StateChange {
  /** The vendor of the request. */
  vendor: RegisteredRequest['vendor'];
  /** Its account. */
  account: string;
  /** The vendor's id for it. */
  requestId: string;
  /** The state before (undefined: the request is new to the store). */
  from: RegisteredRequest['state'] | undefined;
  /** The state now. */
  to: RegisteredRequest['state'];
  /** The vendor status that was read, if one was. */
  vendorStatus?: string | undefined;
}

/** An open request as a deadline list shows it (see {@link RequestStore.deadlines}). */
export type DeadlineEntry = Pick<
  RegisteredRequest,
  | 'vendor'
  | 'account'
  | 'requestId'
  | 'requestedAt'
  | 'subjectCount'
  | 'ticket'
  | 'actor'
  | 'windowClosesAt'
  | 'vendorStatus'
  | 'statusReadAt'
>;

/** A registered request holding some of the subjects asked about. */
export interface SubjectMatch {
  /** The request. */
  request: RegisteredRequest;
  /** How many of its subjects were among those asked about. */
  matched: number;
}

/** How {@link openRegistry} keeps subject ids. */
export interface OpenRegistryOptions {
  /** Secret salt for the subject digests: without it the same person cannot be found again. */
  salt: string;
  /** Keep subject ids in plain text (an explicit opt-in: the registry then lists people). */
  plainSubjects?: boolean;
  /** Who creates requests through `record` (the SDK path); default: the OS user. */
  actor?: string;
}
