/**
 * `privacy-deletions report`: what a journal says happened to every request, for an audit: the runs (input file and
 * its SHA-256, settings, how each ended), the latest final outcome per request, and the requests left in doubt.
 * Exit code 0 only when the latest run ended normally, nothing is in doubt and every request ended cancelled or
 * already cancelled.
 */
import { existsSync } from 'node:fs';
import { type Receipt, type ReceiptOutcome, SUCCESS_OUTCOMES } from './cancel-run.js';
import { UsageError } from './clients.js';
import type { CliVendor } from './input.js';
import { type JournalRecord, type JournalRun, readJournal } from './journal.js';
import { createReporter } from './output.js';

const asReceipt = (r: JournalRecord): Receipt => ({
  line: r.line,
  vendor: r.vendor as CliVendor,
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
  if (!existsSync(path)) throw new UsageError(`no journal at ${path}`);
  const state = await readJournal(path);
  const settled = [...state.final].filter(([key]) => !state.inDoubt.has(key)).map(([, r]) => r);
  const totals: Record<string, number> = {};
  for (const r of settled) totals[r.outcome ?? 'unknown'] = (totals[r.outcome ?? 'unknown'] ?? 0) + 1;
  const inDoubt = [...state.inDoubt.values()].map(({ vendor, id }) => ({ vendor, id }));
  const lastRun = [...state.runs.values()].at(-1);
  const complete = Boolean(lastRun?.end && !lastRun.end.interrupted);
  const ok =
    complete && inDoubt.length === 0 && settled.every((r) => SUCCESS_OUTCOMES.includes(r.outcome as ReceiptOutcome));

  if (o.json) {
    const runs = [...state.runs].map(([runId, run]) => ({ runId, start: run.start, end: run.end }));
    const requests = settled.map(({ event: _event, ...r }) => r);
    process.stdout.write(`${JSON.stringify({ journal: path, complete, ok, totals, inDoubt, runs, requests })}\n`);
    return ok ? 0 : 1;
  }
  const out = (s: string) => process.stdout.write(`${s}\n`);
  out(`journal ${path}`);
  for (const [id, run] of state.runs) out(describeRun(id, run));
  out('');
  const reporter = createReporter({ json: false });
  for (const r of settled) reporter.receipt(asReceipt(r));
  reporter.finish();
  if (inDoubt.length) {
    out(`\nin doubt (a run stopped between steps; run the same cancel command with --resume):`);
    for (const d of inDoubt) out(`  ${d.vendor} ${d.id}`);
  }
  out(
    `\n${Object.entries(totals)
      .map(([k, v]) => `${k} ${v}`)
      .join(
        ', ',
      )}${inDoubt.length ? `, in doubt ${inDoubt.length}` : ''}${complete ? '' : '; the latest run did not finish'}`,
  );
  return ok ? 0 : 1;
}
