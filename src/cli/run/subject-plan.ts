/**
 * `cancel --subject`: which registered requests to cancel for a person. A request that holds only the named subjects
 * is cancelled; one that also holds others is not (cancelling it would stop their deletions too): it is listed with
 * how many other subjects it would take down, and the run exits 1.
 */
import type { RegisteredRequest, RequestStore } from '../../registry/index.js';
import { type InputItem, readListFile } from '../input.js';
import type { PreparedItems } from '../items.js';
import { UsageError } from '../usage.js';

export interface SubjectPlan {
  prepared: PreparedItems;
  /** Requests holding a named subject and others too: not cancelled. */
  collateral: { request: RegisteredRequest; named: number; others: number }[];
  subjects: number;
}

/** The subject ids of --subject (repeatable) and --subjects-file (one a line; blank lines and # comments skipped). */
export function subjectsOf(o: Record<string, unknown>): string[] {
  const given = (o.subject as string[] | undefined) ?? [];
  const fromFile = o.subjectsFile ? readListFile(o.subjectsFile as string, 'the subjects file') : [];
  const all = [...new Set([...given, ...fromFile].map((s) => s.trim()).filter(Boolean))];
  if (all.length === 0) throw new UsageError('--subject / --subjects-file named no subject');
  return all;
}

export function planForSubjects(store: RequestStore, subjects: string[]): SubjectPlan {
  const items: InputItem[] = [];
  const collateral: SubjectPlan['collateral'] = [];
  for (const { request, matched } of store.holding(subjects)) {
    if (matched >= request.subjectCount)
      items.push({ vendor: request.vendor, requestId: request.requestId, account: request.account });
    else collateral.push({ request, named: matched, others: request.subjectCount - matched });
  }
  return {
    subjects: subjects.length,
    collateral,
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
