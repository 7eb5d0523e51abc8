/**
 * `privacy-deletions report`: what a journal says happened to every request, for an audit: the runs (input file and
 * its SHA-256, settings, how each ended), the latest final outcome per request, and the requests left in doubt.
 * Exit code 0 only when the journal's chain of digests is intact, the latest run ended normally, nothing is in doubt
 * and every request ended cancelled or already cancelled.
 */

import type { CliVendor } from '../options.js';
import { createReporter } from '../run/output.js';
import { type Receipt, type ReceiptOutcome, SUCCESS_OUTCOMES } from '../run/receipt.js';
import { type JournalRecord, type JournalRun, journalProblem, readJournal } from '../store/journal.js';
import { say } from '../terminal.js';

const asReceipt = (r: JournalRecord): Receipt => ({
  line: r.line,
  vendor: r.vendor as CliVendor,
  account: r.account ?? r.vendor,
  requestId: r.id,
  outcome: r.outcome as ReceiptOutcome,
  vendorStatus: r.vendorStatus,
  httpStatus: r.httpStatus,
  verified: r.verified,
  // when it was decided is what an audit asks first; the error name (never its text: it could carry ids) if it failed
  detail: `at ${r.at}${r.error ? ` — ${r.error}${r.notSent ? ', not sent' : ''}` : ''}`,
  ...(r.notSent ? { notSent: true } : {}),
  at: r.at,
});

function describeRun(id: string, run: JournalRun): string {
  const s = run.start ?? {};
  const e = run.end;
  const input = s.input as { file?: string; sha256?: string } | undefined;
  const ended = !e
    ? 'no run-end record: killed, or still running'
    : `${e.at}${e.interrupted ? ' (interrupted)' : ''}, finished ${e.finished}: ${JSON.stringify(e.outcomes ?? {})}`;
  return `run ${id}  ${s.at ?? '?'} → ${ended}  ${input?.file ? `input ${input.file} sha256 ${input.sha256?.slice(0, 16)}…` : 'ids as arguments'}  requests ${s.requests ?? '?'}`;
}

export async function reportCommand(o: Record<string, unknown>): Promise<number> {
  const path = o.journal as string;
  const state = await journalProblem(path, () => readJournal(path));
  const settled = [...state.final].filter(([key]) => !state.inDoubt.has(key)).map(([, r]) => r);
  const totals: Record<string, number> = {};
  for (const r of settled) totals[r.outcome ?? 'unknown'] = (totals[r.outcome ?? 'unknown'] ?? 0) + 1;
  const inDoubt = [...state.inDoubt.values()].map(({ vendor, account, id }) => ({
    vendor,
    account: account ?? vendor,
    id,
  }));
  // Each split's last step: `done`, or where it stopped (a request cancelled whose others are not re-submitted yet)
  const splits = [...state.splits.values()].map((steps) => {
    const last = steps.at(-1);
    const created = steps.find((x) => x.step === 'created');
    return {
      vendor: last?.vendor,
      account: last?.account,
      id: last?.id,
      step: last?.step,
      ...(created?.newId ? { newId: created.newId } : {}),
    };
  });
  const splitsInDoubt = splits.filter((x) => x.step !== 'done');
  const lastRun = [...state.runs.values()].at(-1);
  const complete = Boolean(lastRun?.end && !lastRun.end.interrupted);
  const { records, head, brokenAtLine } = state.integrity;
  const expectedHead = o.expectHead as string | undefined;
  const headMatches = expectedHead === undefined ? undefined : expectedHead.trim().toLowerCase() === head;
  const intact = brokenAtLine === undefined && headMatches !== false;
  const ok =
    intact &&
    complete &&
    inDoubt.length === 0 &&
    splitsInDoubt.length === 0 &&
    settled.every((r) => SUCCESS_OUTCOMES.includes(r.outcome as ReceiptOutcome));

  if (o.json) {
    const runs = [...state.runs].map(([runId, run]) => ({ runId, start: run.start, end: run.end }));
    const requests = settled.map(({ event: _event, prev: _prev, ...r }) => r);
    const integrity = {
      records,
      head,
      intact,
      ...(brokenAtLine === undefined ? {} : { brokenAtLine }),
      ...(headMatches === undefined ? {} : { headMatches }),
    };
    process.stdout.write(
      `${JSON.stringify({ journal: path, complete, ok, integrity, totals, inDoubt, runs, requests, ...(splits.length ? { splits } : {}) })}\n`,
    );
    return ok ? 0 : 1;
  }
  const out = say.out;
  out(`journal ${path}`);
  out(
    brokenAtLine !== undefined
      ? `integrity: BROKEN at line ${brokenAtLine}: a line was edited, inserted or removed there or just before it; do not rely on this journal`
      : headMatches === false
        ? `integrity: BROKEN at the end: the last record's digest is ${head}, not the ${expectedHead} the run printed; records at the end were edited, removed or added`
        : `integrity: ${records} records, each chained to the one before by SHA-256 digest: intact${headMatches ? ', and the end matches the head digest given' : ''}; head ${head}`,
  );
  for (const [id, run] of state.runs) out(describeRun(id, run));
  out('');
  const reporter = createReporter({ json: false, accounts: settled.some((r) => r.account && r.account !== r.vendor) });
  for (const r of settled) reporter.receipt(asReceipt(r));
  reporter.finish();
  if (inDoubt.length) {
    out(`\nin doubt (a run stopped between steps; run the same cancel command with --resume):`);
    for (const d of inDoubt) out(`  ${d.vendor} ${d.account} ${d.id}`);
  }
  if (splits.length) {
    out('\nsplits (cancel --subject --split):');
    for (const x of splits)
      out(
        `  ${x.vendor} ${x.account} ${x.id}: ${x.step === 'done' ? `done, others re-submitted as ${x.newId}` : `STOPPED after ${x.step}${x.step === 'cancel-accepted' || x.step === 'create-sent' ? ' (cancelled; its other subjects may not be scheduled: run the same command with --resume)' : ''}`}`,
      );
  }
  const counts = Object.entries(totals).map(([k, v]) => `${k} ${v}`);
  if (inDoubt.length) counts.push(`in doubt ${inDoubt.length}`);
  const unfinished =
    state.runs.size === 0 ? 'no run is recorded in this journal' : complete ? '' : 'the latest run did not finish';
  out(`\n${[counts.join(', '), unfinished].filter(Boolean).join('; ')}`);
  return ok ? 0 : 1;
}
