/**
 * `cancel --subject --split`: a request that holds the named subjects and others too is replaced. Its other subjects
 * are read from the vendor's own record (the registry keeps only digests), re-submitted in a new request, and the old
 * one is cancelled, in the order each vendor's rules allow: Mixpanel refuses a create for ids still in a running task
 * (409), so there the new request follows the cancel; LivePerson takes duplicates but counts every create against its
 * monthly quota, so there the new request comes first (a refused create leaves the old request standing). Every step
 * is journaled before and after it happens, so `--resume` finishes a split cut short and never repeats a step done:
 * no subject is ever left neither scheduled for deletion nor reported.
 */
import { cancelWindowState } from '../../core/cancel.js';
import { ConflictError } from '../../core/errors.js';
import type { Redactor } from '../../core/redact.js';
import { livePersonStatus, livePersonSubjects } from '../../liveperson/client.js';
import type { RegisteredRequest, RegistrationDetails, RequestStore } from '../../store/request-store.js';
import { type ClientPool, STATUS_RULES } from '../accounts/clients.js';
import { type Journal, type JournalState, requestKey, type SplitStep } from '../store/journal.js';
import { describeFailure } from './output.js';

export interface SplitResult {
  split: true;
  vendor: RegisteredRequest['vendor'];
  account: string;
  requestId: string;
  /** `split`: cancelled and its other subjects re-submitted; `not_split`: left as it was (or see detail). */
  outcome: 'split' | 'not_split';
  newRequestId?: string;
  others?: number;
  detail: string;
  error?: string;
}

export interface SplitOptions {
  clients: ClientPool;
  store: RequestStore;
  journal?: Journal | undefined;
  resume?: JournalState | undefined;
  redactor: Redactor;
  details: RegistrationDetails;
}

/** The request's subject ids as the vendor keeps them, and its status; ids undefined when the vendor does not say. */
async function vendorRecord(r: RegisteredRequest, clients: ClientPool) {
  if (r.vendor === 'mixpanel') {
    const d = await clients.mixpanel(r.account).getDeletion(r.requestId);
    return { status: d.status, ids: d.distinctIds };
  }
  const request = await clients.liveperson(r.account).getDeletionRequest(r.requestId);
  const subjects = livePersonSubjects(request);
  return { status: livePersonStatus(request), ids: subjects?.type === r.idType ? subjects.ids : undefined };
}

/**
 * The LivePerson request a create sent before a crash made, if the list shows one: made since the create was sent,
 * not cancelled, not registered (the registry learns a split's request only once its create was answered), holding
 * exactly the other subjects with the same type.
 */
async function landedLivePersonCreate(
  r: RegisteredRequest,
  others: string[],
  sentAt: string,
  o: SplitOptions,
): Promise<{ id: string; requestedAt: string | undefined } | undefined> {
  const wanted = [...others].sort().join('\n');
  // from the day before: the vendor's clock and day may trail ours
  const fromDate = new Date(Date.parse(sentAt) - 86_400_000).toISOString().slice(0, 10);
  const list = await o.clients.liveperson(r.account).listDeletionRequests({ fromDate });
  for (const request of list) {
    const id = String(request.request_id);
    if (id === r.requestId || livePersonStatus(request) === 'CANCELED' || (await o.store.get(r.vendor, r.account, id)))
      continue;
    const subjects = livePersonSubjects(request);
    if (subjects?.type !== r.idType || [...subjects.ids].sort().join('\n') !== wanted) continue;
    return { id, requestedAt: typeof request.request_time === 'string' ? request.request_time : undefined };
  }
  return undefined;
}

/**
 * The id of the request an earlier run's split made, from its journal record: as written, or, in a --hash-ids
 * journal (which names it by its salted hash), the registered request of the same account whose hash it is. The
 * split registers the new request right after journaling it; if neither knows it, the create is looked for at the
 * vendor as one whose answer was lost.
 */
async function newIdOf(
  journaled: string | undefined,
  r: RegisteredRequest,
  o: SplitOptions,
): Promise<string | undefined> {
  if (journaled === undefined || !o.journal || o.journal.idScheme === 'plain') return journaled;
  const journal = o.journal;
  return (await o.store.open()).find(
    (q) => q.vendor === r.vendor && q.account === r.account && journal.key(q.vendor, q.requestId) === journaled,
  )?.requestId;
}

export async function splitRequest(
  c: { request: RegisteredRequest; named: number },
  named: Set<string>,
  o: SplitOptions,
): Promise<SplitResult> {
  const r = c.request;
  const base = { split: true as const, vendor: r.vendor, account: r.account, requestId: r.requestId };
  const key = o.journal?.key(r.vendor, r.requestId) ?? r.requestId;
  const earlier = o.resume?.splits.get(requestKey(r.vendor, r.account, key)) ?? [];
  const did = (s: SplitStep) => earlier.some((d) => d.step === s);
  let newId = await newIdOf(earlier.find((d) => d.step === 'created')?.newId, r, o);
  // made by an earlier run, which may have died before recording it in the registry
  const madeEarlier = newId;
  if (did('done')) return { ...base, outcome: 'split', newRequestId: newId, detail: 'split in an earlier run' };
  const step = (s: SplitStep, extra: { newId?: string; others?: number } = {}) =>
    o.journal?.writeSplit({ vendor: r.vendor, account: r.account, id: key, step: s, ...extra });
  const notSplit = (detail: string, error?: string): SplitResult => ({
    ...base,
    outcome: 'not_split',
    detail,
    ...(error ? { error } : {}),
  });
  let cancelled = did('cancel-accepted');
  try {
    const record = await vendorRecord(r, o.clients);
    // the vendor's own record first; a registry made with plain subjects can stand in, one of digests cannot
    const ids = record.ids ?? (await o.store.subjectsOf(r.vendor, r.account, r.requestId));
    if (!ids)
      return notSplit(
        "not split: the vendor's record does not list the request's subjects, and the registry keeps only their digests, so the others cannot be re-submitted",
      );
    const from = record.ids ? '' : " (their ids from the registry: the vendor's record does not list them)";
    const others = ids.filter((id) => !named.has(id));
    const expected = r.subjectCount - c.named;
    if (others.length !== expected)
      return notSplit(
        `not split: the vendor's record holds ${others.length} other subject(s) where the registry holds ${expected}; check the request by hand`,
      );
    const windowState = cancelWindowState(STATUS_RULES[r.vendor], record.status);
    // A cancel sent before a crash may have landed: the status says so.
    if (!cancelled && did('cancel-sent') && windowState === 'already_cancelled') {
      step('cancel-accepted');
      cancelled = true;
    }
    if (!cancelled && windowState !== 'cancellable')
      return notSplit(`not split: the request is ${record.status}, no longer cancellable`);
    if (!did('planned')) step('planned', { others: others.length });
    const register = (id: string, requestedAt: string | undefined) =>
      o.store.register(
        {
          vendor: r.vendor,
          account: r.account,
          requestId: id,
          requestedAt: requestedAt ?? new Date().toISOString(),
          idType: r.idType,
          subjects: others,
        },
        {
          ...o.details,
          reason: `split from ${r.vendor} ${r.requestId}${o.details.reason ? `: ${o.details.reason}` : ''}`,
        },
      );
    const create = async () => {
      // A create sent before a crash may have landed: LivePerson's list then shows it (it takes duplicates, so
      // sending again would make a second request and count twice against the quota).
      const sentBefore = earlier.find((d) => d.step === 'create-sent');
      const landed =
        r.vendor === 'liveperson' && sentBefore ? await landedLivePersonCreate(r, others, sentBefore.at, o) : undefined;
      let requestedAt = landed?.requestedAt;
      if (landed) newId = landed.id;
      else {
        step('create-sent');
        try {
          if (r.vendor === 'mixpanel')
            newId = (await o.clients.mixpanel(r.account).createDeletion({ distinctIds: others })).taskId;
          else {
            const made = await o.clients
              .liveperson(r.account)
              .createDeletionRequest({ [r.idType]: others } as { consumer: string[] });
            newId = String(made.request_id);
            if (typeof made.request_time === 'string') requestedAt = made.request_time;
          }
        } catch (err) {
          // Mixpanel refuses ids already in a running task and names it: the create sent before a crash landed.
          if (!(r.vendor === 'mixpanel' && sentBefore && err instanceof ConflictError)) throw err;
          if (err.conflictingTaskIds.length !== 1 || err.conflictingDistinctIds.length !== others.length) throw err;
          newId = err.conflictingTaskIds[0] as string;
        }
      }
      step('created', { newId });
      await register(newId, requestedAt);
    };
    const cancel = async () => {
      step('cancel-sent');
      const result = await o.clients.cancel(r.vendor, r.account, r.requestId);
      if (result.outcome !== 'cancelled' && result.outcome !== 'already_cancelled')
        throw new Error(`the cancel was refused (${result.outcome}: ${result.detail})`);
      step('cancel-accepted');
      cancelled = true;
    };
    if (r.vendor === 'mixpanel') {
      if (!cancelled) await cancel();
      if (!newId) await create();
    } else {
      if (!newId) await create();
      if (!cancelled) await cancel();
    }
    if (madeEarlier) await register(madeEarlier, undefined); // idempotent: kept once
    step('done', { newId: newId as string });
    await o.store.update(r.vendor, r.account, r.requestId, { state: 'superseded' });
    return {
      ...base,
      outcome: 'split',
      newRequestId: newId,
      others: others.length,
      detail: `cancelled; its ${others.length} other subject(s) re-submitted as ${r.vendor} request ${newId}${from}`,
    };
  } catch (err) {
    const f = describeFailure(err, o.redactor);
    const state =
      cancelled && !newId
        ? 'the request is cancelled but its other subjects are NOT scheduled for deletion yet'
        : newId && !cancelled
          ? `the others are re-submitted as ${newId} but the request itself is not cancelled yet`
          : 'nothing was changed';
    return notSplit(`split stopped: ${state} (${f.error}: ${f.detail}); run the same command with --resume`, f.error);
  }
}
