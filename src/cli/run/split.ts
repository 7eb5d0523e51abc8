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
import type { RegisteredRequest, RegistrationDetails, RequestStore, SplitState } from '../../store/request-store.js';
import { type ClientPool, STATUS_RULES } from '../accounts/clients.js';
import { claimRequest } from '../store/claims.js';
import { type Journal, type JournalState, requestKey, type SplitStep } from '../store/journal.js';
import { describeFailure } from './output.js';

export interface SplitResult {
  split: true;
  vendor: RegisteredRequest['vendor'];
  account: string;
  requestId: string;
  /**
   * `split`: cancelled and its other subjects re-submitted; `not_split`: left as it was (or see detail); `busy`:
   * another run holds the request, nothing was sent.
   */
  outcome: 'split' | 'not_split' | 'busy';
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
  /** Who this run is, as a claim names it to another run that meets the request (host, process, run id). */
  holder: string;
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
 * not cancelled, holding exactly the other subjects with the same type (who is in it decides, as for Mixpanel).
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
    // a registered one too: an import may have recorded the landed create before this run came back to it
    if (id === r.requestId || livePersonStatus(request) === 'CANCELED') continue;
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

/**
 * Where an unfinished split stopped, and what that leaves (said by cancel and by deadlines): the last step, and who
 * is not yet scheduled or what is not yet cancelled ('' when nothing was changed).
 */
export function splitProgress(split: SplitState, others: number | undefined): { last: SplitStep; left: string } {
  const did = (step: SplitStep) => split.steps.some((s) => s.step === step);
  const count = others ?? split.others;
  const subjects = `${count === undefined ? 'other' : `${count} other`} subject(s)`;
  const left =
    did('cancel-accepted') && !did('created')
      ? `the request is cancelled and its ${subjects} are NOT scheduled for deletion yet`
      : did('created') && !did('cancel-accepted')
        ? `its ${subjects} are re-submitted in ${split.newId ?? 'a new request'}, and the request itself is not cancelled yet`
        : '';
  return { last: split.steps.at(-1)?.step ?? 'planned', left };
}

/** How long a split holds its request: renewed by nothing, so well above a split's few requests (timeouts included). */
export const SPLIT_LEASE_MS = 10 * 60_000;

/** The steps an earlier run recorded, in the journal given with --resume and in the store (which every run tells). */
async function earlierSteps(r: RegisteredRequest, key: string, o: SplitOptions) {
  const journaled = o.resume?.splits.get(requestKey(r.vendor, r.account, key)) ?? [];
  const stored = await o.store.splitOf(r.vendor, r.account, r.requestId);
  const steps: { step: SplitStep; at: string }[] = [...journaled, ...(stored?.steps ?? [])];
  const newId = stored?.newId ?? (await newIdOf(journaled.find((d) => d.step === 'created')?.newId, r, o));
  return { steps, newId };
}

/**
 * After Mixpanel refused a create with 409 (the ids are already in a running task), what that task is: ours (a create
 * sent before a crash landed: exactly the other subjects, nobody else) or another's. Decided by the task's own
 * record of who is in it, never by the 409 alone: adopting a task that also holds someone else would later let a
 * cancel for one person stop the other's deletion.
 */
async function conflictingTask(r: RegisteredRequest, others: string[], err: ConflictError, o: SplitOptions) {
  const [task] = err.conflictingTaskIds;
  if (err.conflictingTaskIds.length !== 1 || task === undefined || err.conflictingDistinctIds.length !== others.length)
    throw err;
  const held = (await o.clients.mixpanel(r.account).getDeletion(task)).distinctIds;
  if (!held) throw err;
  const same = (a: string[], b: string[]) => [...new Set(a)].sort().join('\n') === [...new Set(b)].sort().join('\n');
  return { task, ours: same(held, others), alsoHolds: held.filter((id) => !others.includes(id)).length };
}

export async function splitRequest(
  c: { request: RegisteredRequest; named: number },
  named: Set<string>,
  o: SplitOptions,
): Promise<SplitResult> {
  const r = c.request;
  const base = { split: true as const, vendor: r.vendor, account: r.account, requestId: r.requestId };
  const claim = await claimRequest(o.store, r, o.holder, SPLIT_LEASE_MS);
  if (!claim.taken)
    return {
      ...base,
      outcome: 'busy',
      detail: `not split: another run (${claim.holder}) is working on this request until ${claim.until}; nothing was sent`,
    };
  try {
    return await splitClaimed(c, named, o);
  } finally {
    await o.store.release(r.vendor, r.account, r.requestId, o.holder);
  }
}

async function splitClaimed(
  c: { request: RegisteredRequest; named: number },
  named: Set<string>,
  o: SplitOptions,
): Promise<SplitResult> {
  const r = c.request;
  const base = { split: true as const, vendor: r.vendor, account: r.account, requestId: r.requestId };
  const key = o.journal?.key(r.vendor, r.requestId) ?? r.requestId;
  const earlier = await earlierSteps(r, key, o);
  const did = (s: SplitStep) => earlier.steps.some((d) => d.step === s);
  let newId = earlier.newId;
  // made by an earlier run, which may have died before recording it in the registry
  const madeEarlier = newId;
  if (did('done')) return { ...base, outcome: 'split', newRequestId: newId, detail: 'split in an earlier run' };
  /** Each step goes to the store (what the next command trusts) and to the journal (this run's audit record). */
  const step = async (s: SplitStep, extra: { newId?: string; others?: number; spared?: string[] } = {}) => {
    const { spared, ...journaled } = extra;
    // the store first: it is what a later command (with or without --resume) trusts
    await o.store.recordSplitStep(r.vendor, r.account, r.requestId, s, extra);
    o.journal?.writeSplit({ vendor: r.vendor, account: r.account, id: key, step: s, ...journaled });
  };
  const notSplit = (detail: string, error?: string): SplitResult => ({
    ...base,
    outcome: 'not_split',
    detail,
    ...(error ? { error } : {}),
  });
  let cancelled = did('cancel-accepted');
  let scheduledElsewhere: string | undefined;
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
      await step('cancel-accepted');
      cancelled = true;
    }
    if (!cancelled && windowState !== 'cancellable')
      return notSplit(`not split: the request is ${record.status}, no longer cancellable`);
    if (!did('planned')) await step('planned', { others: others.length, spared: ids.filter((id) => named.has(id)) });
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
      const sentBefore = earlier.steps.find((d) => d.step === 'create-sent');
      const landed =
        r.vendor === 'liveperson' && sentBefore ? await landedLivePersonCreate(r, others, sentBefore.at, o) : undefined;
      let requestedAt = landed?.requestedAt;
      if (landed) newId = landed.id;
      else {
        await step('create-sent');
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
          // Mixpanel refuses ids already in a running task and names it: ours if a create sent before a crash
          // landed (the task holds exactly the others), else another's that already schedules them all
          if (!(r.vendor === 'mixpanel' && err instanceof ConflictError)) throw err;
          const found = await conflictingTask(r, others, err, o);
          if (found.ours && sentBefore) newId = found.task;
          else {
            scheduledElsewhere = `${found.task}${found.alsoHolds ? ` (which also holds ${found.alsoHolds} other subject(s))` : ''}`;
            return;
          }
        }
      }
      await step('created', { newId });
      await register(newId, requestedAt);
    };
    const cancel = async () => {
      await step('cancel-sent');
      const result = await o.clients.cancel(r.vendor, r.account, r.requestId);
      if (result.outcome !== 'cancelled' && result.outcome !== 'already_cancelled')
        throw new Error(`the cancel was refused (${result.outcome}: ${result.detail})`);
      await step('cancel-accepted');
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
    await step('done', newId ? { newId } : {});
    await o.store.update(r.vendor, r.account, r.requestId, { state: 'superseded' });
    return {
      ...base,
      outcome: 'split',
      ...(newId ? { newRequestId: newId } : {}),
      others: others.length,
      detail: scheduledElsewhere
        ? `cancelled; its ${others.length} other subject(s) were already scheduled for deletion in ${r.vendor} request ${scheduledElsewhere}, made elsewhere: nothing re-submitted, and that request is not registered as this split's`
        : `cancelled; its ${others.length} other subject(s) re-submitted as ${r.vendor} request ${newId}${from}`,
    };
  } catch (err) {
    const f = describeFailure(err, o.redactor);
    const state =
      cancelled && !newId
        ? 'the request is cancelled but its other subjects are NOT scheduled for deletion yet'
        : newId && !cancelled
          ? `the others are re-submitted as ${newId} but the request itself is not cancelled yet`
          : 'nothing was changed';
    return notSplit(
      `split stopped: ${state} (${f.error}: ${f.detail}); run the same command again to finish it (the registry keeps where it stopped)`,
      f.error,
    );
  }
}
