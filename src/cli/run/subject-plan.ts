/**
 * `cancel --subject`: which registered requests to cancel for a person. A request that holds only the named subjects
 * is cancelled; one that also holds others is not (cancelling it would stop their deletions too): it is listed with
 * how many other subjects it would take down, and the run exits 1.
 */
import type { RegisteredRequest, RequestStore, SplitState } from '../../store/request-store.js';
import { type InputItem, readListFileLines } from '../input.js';
import type { PreparedItems } from '../items.js';
import { UsageError } from '../usage.js';

export interface SubjectPlan {
  prepared: PreparedItems;
  /**
   * Requests holding a named subject and others too: not cancelled (unless split). `unfinished`: a split of it for
   * these subjects stopped part-way in an earlier run (the request may no longer be open): it must be finished.
   */
  collateral: { request: RegisteredRequest; named: number; others: number; unfinished?: SplitState }[];
  subjects: number;
  /** Where each subject that no open registered request holds was given (`--subject #2`, `file:7`). */
  unmatched: string[];
}

/** A subject id to cancel for, and where it was given (said when it matches nothing; the id itself never is). */
export interface NamedSubject {
  id: string;
  where: string;
}

/** The subject ids of --subject (repeatable) and --subjects-file (one a line; blank lines and # comments skipped). */
export function subjectsOf(o: Record<string, unknown>): NamedSubject[] {
  const given = ((o.subject as string[] | undefined) ?? []).map((id, i) => ({
    id: id.trim(),
    where: `--subject #${i + 1}`,
  }));
  const path = o.subjectsFile as string | undefined;
  const fromFile = path
    ? readListFileLines(path, 'the subjects file').map((l) => ({ id: l.text, where: `${path}:${l.line}` }))
    : [];
  const seen = new Set<string>();
  const all = [...given, ...fromFile].filter((s) => s.id !== '' && !seen.has(s.id) && seen.add(s.id));
  if (all.length === 0) throw new UsageError('--subject / --subjects-file named no subject');
  return all;
}

export async function planForSubjects(store: RequestStore, named: NamedSubject[]): Promise<SubjectPlan> {
  const items: InputItem[] = [];
  const collateral: SubjectPlan['collateral'] = [];
  const subjects = named.map((s) => s.id);
  for (const { request, matched } of await store.holding(subjects)) {
    if (matched >= request.subjectCount)
      items.push({ vendor: request.vendor, requestId: request.requestId, account: request.account });
    else collateral.push({ request, named: matched, others: request.subjectCount - matched });
  }
  // A split cut short is found from the store whatever ran since (a refresh that marked the request cancelled, an
  // import, another split): the plan carries it, so the run finishes it or says what is left.
  const spared = new Set<string>();
  for (const split of await store.unfinishedSplits()) {
    const mine = named.filter((s) => store.spares(split, s.id));
    if (mine.length === 0) continue;
    for (const s of mine) spared.add(s.id);
    const request = await store.get(split.vendor, split.account, split.requestId);
    if (!request) continue;
    const known = collateral.find(
      (x) => x.request.requestId === request.requestId && x.request.account === request.account,
    );
    if (known) known.unfinished = split;
    else {
      const others = split.others ?? request.subjectCount - mine.length;
      collateral.push({ request, named: request.subjectCount - others, others, unfinished: split });
    }
  }
  // A typo must not look like "nothing to do" while the person's deletion goes ahead.
  const unmatched: string[] = [];
  for (const s of named) if (!spared.has(s.id) && (await store.holding([s.id])).length === 0) unmatched.push(s.where);
  return {
    subjects: subjects.length,
    collateral,
    unmatched,
    prepared: {
      total: items.length,
      repeatedLines: 0,
      invalidLinesSkipped: 0,
      source: async function* () {
        yield* items;
      },
      vendorsUsed: new Set(items.map((i) => i.vendor)),
      accountsUsed: new Set(items.map((i) => i.account)),
    },
  };
}
