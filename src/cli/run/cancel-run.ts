/**
 * Runs cancellations for a stream of items: bounded concurrency, journal per state change, verification read after
 * an accepted cancel, and one receipt per item. Rate limits are the SDK's (shared per Mixpanel project token).
 */
import type { Redactor } from '../../core/redact.js';
import type { RequestStore } from '../../store/request-store.js';
import { AccountHaltedError, type ClientPool, STATUS_RULES } from '../accounts/clients.js';
import type { InputItem } from '../input.js';
import { claimRequest } from '../store/claims.js';
import { type Journal, type JournalState, requestKey } from '../store/journal.js';
import { describeFailure } from './output.js';
import { runPool } from './pool.js';
import { type Receipt, type ReceiptOutcome, TERMINAL_OUTCOMES } from './receipt.js';

export interface RunOptions {
  clients: ClientPool;
  journal?: Journal | undefined;
  resume?: JournalState | undefined;
  verify: boolean;
  concurrency: number;
  redactor: Redactor;
  /** Told each receipt as it is made (awaited: what it records is written before the run goes on). */
  onReceipt: (r: Receipt) => void | Promise<void>;
  /** When aborted (Ctrl-C, SIGTERM), no further item is started; the ones in flight finish and are journaled. */
  stop?: AbortSignal;
  /**
   * The store to claim each request in before its cancel is sent (held until its receipt), and who this run is: a
   * second run meeting a claimed request reports it instead of sending.
   */
  claims?: { store: RequestStore; holder: string } | undefined;
}

/** A cancel's claim: long enough for every cancel of a large account and then its verification read. */
const CANCEL_LEASE_MS = 30 * 60_000;

/** A cancel the vendor accepted, waiting for the status read that confirms it (after every cancel of its account). */
interface AwaitingVerification {
  item: InputItem;
  key: string;
  receipt: Receipt;
}

/** Writes an item's final record, gives its claim back, and returns its receipt. */
async function finish(item: InputItem, key: string, o: RunOptions, r: Receipt): Promise<Receipt> {
  if (o.claims && r.error !== 'RequestBusy')
    await o.claims.store.release(item.vendor, item.account, item.requestId, o.claims.holder);
  o.journal?.write({
    event: 'final',
    vendor: item.vendor,
    account: item.account,
    id: key,
    line: item.line,
    outcome: r.outcome,
    ...(r.vendorStatus ? { vendorStatus: r.vendorStatus } : {}),
    ...(r.httpStatus ? { httpStatus: r.httpStatus } : {}),
    ...(r.verified === undefined ? {} : { verified: r.verified }),
    ...(r.error ? { error: r.error } : {}),
    ...(r.verifyError ? { verifyError: r.verifyError } : {}),
    ...(r.notSent ? { notSent: true } : {}),
  });
  return r;
}

/**
 * After an error every later request of the account would meet too, the pool stops sending to it (clients.ts); the
 * run adds the input line that met it, for the report.
 */
function noteHalt(o: RunOptions, item: InputItem): void {
  const halt = o.clients.halts.get(item.account);
  if (halt && halt.line === undefined && halt.requestId === item.requestId) halt.line = item.line;
}

/** The receipt of a request not sent because its account was stopped earlier in the run. */
function notSentReceipt(item: InputItem, err: AccountHaltedError, outcome: ReceiptOutcome): Receipt {
  return {
    line: item.line,
    vendor: item.vendor,
    account: item.account,
    requestId: item.requestId,
    outcome,
    detail: `${err.message} with --resume`,
    error: err.halt.error,
    notSent: true,
    at: new Date().toISOString(),
  };
}

/** The cancel of one item: its receipt, or the accepted cancel still to be verified. */
async function cancelStep(item: InputItem, o: RunOptions): Promise<Receipt | AwaitingVerification> {
  const { vendor, requestId, account } = item;
  const key = o.journal?.key(vendor, requestId) ?? requestId;
  const at = () => new Date().toISOString();
  const known = requestKey(vendor, account, key);
  const previous = o.resume?.final.get(known);
  if (previous && TERMINAL_OUTCOMES.includes(previous.outcome as ReceiptOutcome)) {
    return {
      line: item.line,
      vendor,
      account,
      requestId,
      outcome: previous.outcome as ReceiptOutcome,
      vendorStatus: previous.vendorStatus,
      httpStatus: previous.httpStatus,
      verified: previous.verified,
      detail: 'final in the journal of an earlier run; not sent again',
      resumed: true,
      at: previous.at,
    };
  }
  const halt = o.clients.halts.get(account);
  if (halt?.scope === 'all')
    return finish(item, key, o, notSentReceipt(item, new AccountHaltedError(account, halt), 'failed'));
  if (o.claims) {
    const claim = await claimRequest(o.claims.store, item, o.claims.holder, CANCEL_LEASE_MS);
    if (!claim.taken)
      return finish(item, key, o, {
        line: item.line,
        vendor,
        account,
        requestId,
        outcome: 'failed',
        detail: `not sent: another run (${claim.holder}) is working on this request until ${claim.until}; run again later (--resume)`,
        error: 'RequestBusy',
        notSent: true,
        at: at(),
      });
  }
  let receipt: Receipt;
  // Accepted in an earlier run (its verification died or did not confirm): only verify now, never re-send.
  const alreadyAccepted = o.resume?.accepted.has(known) ?? false;
  try {
    if (alreadyAccepted) {
      receipt = {
        line: item.line,
        vendor,
        account,
        requestId,
        outcome: 'cancelled',
        detail: 'accepted in an earlier run',
        at: at(),
      };
    } else {
      // 'queued' is made durable by the fsync of 'sent' right after it (same file): one fsync per step that matters.
      o.journal?.write({ event: 'queued', vendor, account, id: key, line: item.line }, { sync: false });
      o.journal?.write({ event: 'sent', vendor, account, id: key, line: item.line });
      const result = await o.clients.cancel(vendor, account, requestId);
      receipt = {
        line: item.line,
        vendor,
        account,
        requestId,
        outcome: result.outcome,
        vendorStatus: result.vendorStatus,
        httpStatus: result.httpStatus,
        detail: result.detail,
        at: result.decidedAt,
      };
      if (result.outcome === 'cancelled')
        o.journal?.write({ event: 'accepted', vendor, account, id: key, httpStatus: result.httpStatus });
    }
    if (receipt.outcome === 'cancelled') {
      if (o.verify) return { item, key, receipt };
      receipt.verified = 'skipped';
    }
  } catch (err) {
    if (err instanceof AccountHaltedError)
      return finish(item, key, o, notSentReceipt(item, err, alreadyAccepted ? 'unconfirmed' : 'failed'));
    noteHalt(o, item);
    receipt = {
      line: item.line,
      vendor,
      account,
      requestId,
      outcome: alreadyAccepted ? 'unconfirmed' : 'failed',
      ...describeFailure(err, o.redactor),
      at: at(),
    };
  }
  return finish(item, key, o, receipt);
}

/** The status read of an accepted cancel, and its final receipt; none when the run was stopped before it. */
async function verifyStep(pending: AwaitingVerification, o: RunOptions): Promise<Receipt> {
  const { item, key, receipt } = pending;
  if (o.stop?.aborted) {
    receipt.outcome = 'unconfirmed';
    receipt.verified = false;
    receipt.detail = `the vendor accepted the cancel${receipt.httpStatus ? ` (HTTP ${receipt.httpStatus})` : ''}; the run was stopped before the status read that would confirm it (--resume reads it)`;
    return finish(item, key, o, receipt);
  }
  await verify(receipt, o, () => noteHalt(o, item));
  return finish(item, key, o, receipt);
}

/**
 * Re-reads the status of a cancel the vendor accepted. The statuses that confirm it are the ones that, after a
 * refusal, mean it was already cancelled. A read that fails (401, 5xx, timeout) cannot take back the acceptance:
 * the receipt says `unconfirmed`, keeps the cancel's own HTTP status and says why verification failed.
 */
async function verify(receipt: Receipt, o: RunOptions, noteHalt: () => void): Promise<void> {
  const { vendor, requestId, account } = receipt;
  const accepted = `the vendor accepted the cancel${receipt.httpStatus ? ` (HTTP ${receipt.httpStatus})` : ''}`;
  try {
    const { status, state } = await o.clients.readStatus(vendor, account, requestId);
    receipt.verifiedStatus = status;
    receipt.verified = state === 'already_cancelled';
    if (receipt.verified) receipt.vendorStatus = status;
    else {
      receipt.outcome = 'unconfirmed';
      receipt.detail = `${accepted}, but a status read shows ${status}, not ${STATUS_RULES[vendor].alreadyCancelled[0]}`;
    }
  } catch (err) {
    noteHalt(); // a 401 here will meet every later request to this vendor too: the pool sends no more reads
    const failure = describeFailure(err, o.redactor);
    receipt.outcome = 'unconfirmed';
    receipt.verified = false;
    receipt.verifyError = failure.error;
    receipt.detail = `${accepted}, but the status read that would confirm it failed (${failure.error}${failure.httpStatus ? ` ${failure.httpStatus}` : ''}): ${failure.detail}`;
  }
}

/**
 * Cancels every item, one bulk pool per account running side by side, each sending all its cancels before its
 * verification reads (see pool.ts for how a run stops): each Mixpanel
 * project keeps its own 1 request/s, so a file that lists one project's requests before another's must not leave the
 * second waiting behind the first. Each pool reads the source for its own account's items, so memory stays flat.
 */
/** LivePerson requests per account ordered by age before sending; past this many, they go in file order. */
const ORDER_AT_MOST = 10_000;

export async function runCancellations(
  source: () => AsyncIterable<InputItem>,
  accounts: Iterable<string>,
  o: RunOptions,
): Promise<void> {
  const failed = new AbortController();
  const stop = o.stop ? AbortSignal.any([o.stop, failed.signal]) : failed.signal;
  const ofAccount = async function* (account: string) {
    // LivePerson requests oldest first (their windows close first): ids grow with time (docs/vendor-assumptions.md).
    // Only they are held back to be ordered, up to a cap; Mixpanel has no clock to order by, so its go as they come.
    const held: InputItem[] = [];
    for await (const item of source()) {
      if (item.account !== account) continue;
      if (item.vendor !== 'liveperson') yield item;
      else if (held.push(item) >= ORDER_AT_MOST) yield* held.splice(0);
    }
    yield* held.sort((a, b) => Number(a.requestId) - Number(b.requestId));
  };
  // Every cancel of an account goes out before any verification read of it: reads share Mixpanel's 1 request/s,
  // and interleaved they would push the last cancel to twice as late, towards its deadline.
  const run = async (account: string) => {
    const toVerify: AwaitingVerification[] = [];
    await runPool(ofAccount(account), { concurrency: o.concurrency, stop }, async (item) => {
      const done = await cancelStep(item, o);
      if ('key' in done) toVerify.push(done);
      else await o.onReceipt(done);
    });
    // not stopped by the signal: accepted cancels get their receipt (unconfirmed, if the run was interrupted)
    await runPool(
      (async function* () {
        yield* toVerify;
      })(),
      { concurrency: o.concurrency, stop: failed.signal },
      async (pending) => {
        await o.onReceipt(await verifyStep(pending, o));
      },
    );
  };
  const runs = [...accounts].map((account) =>
    run(account).catch((err: unknown) => {
      failed.abort(); // the others start nothing new either: the journal or the input is no longer usable
      throw err;
    }),
  );
  const results = await Promise.allSettled(runs);
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}
