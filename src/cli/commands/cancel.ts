/**
 * `privacy-deletions cancel`: validates all input first, then cancels with receipts, an optional crash-safe journal
 * (framed by run-start/run-end records), a graceful stop on Ctrl-C/SIGTERM, and --dry-run.
 * Exit codes: 0 all ok, 1 not all ok, 2 usage error or invalid input, 130 interrupted.
 */
import { randomUUID } from 'node:crypto';
import { ConnectionError } from '../../core/errors.js';
import { PACKAGE_VERSION } from '../../core/version.js';
import { loadAccounts } from '../accounts/accounts.js';
import { type ClientPool, clientPool, reportHalts } from '../accounts/clients.js';
import { cliRedactor, hashSaltFromEnv } from '../accounts/secrets.js';
import { prepareItems } from '../items.js';
import { accountFlagsOf, clientFlagsOf } from '../options.js';
import { runCancellations } from '../run/cancel-run.js';
import { createReporter } from '../run/output.js';
import { type Receipt, type ReceiptOutcome, SUCCESS_OUTCOMES } from '../run/receipt.js';
import { type SplitResult, splitProgress, splitRequest } from '../run/split.js';
import { planForSubjects, type SubjectPlan, subjectsOf } from '../run/subject-plan.js';
import { claimHolder } from '../store/claims.js';
import {
  Journal,
  JournalBusyError,
  JournalFileError,
  type JournalState,
  journalProblem,
  readJournal,
} from '../store/journal.js';
import { actorOf, cliRegistry, knownRegistry, REGISTRY_STATE } from '../store/registry.js';
import { printable, say } from '../terminal.js';
import { openingFile, UsageError } from '../usage.js';

/** Dry run: the SDK builds every request as usual; a fetch that records and refuses stops it before the network. */
function dryRunFetch(redactor: ReturnType<typeof cliRedactor>, print: (s: string) => void): typeof fetch {
  return (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    print(`${(init?.method ?? 'GET').padEnd(6)} ${redactor.url(url)}`);
    throw new Error('dry run: not sent');
  }) as typeof fetch;
}

/** The salt for --hash-ids: the flag, or PRIVACY_DELETIONS_HASH_SALT (or the file PRIVACY_DELETIONS_HASH_SALT_FILE). */
const hashSalt = (o: Record<string, unknown>) => (o.hashSalt as string | undefined) ?? hashSaltFromEnv();

async function openJournal(path: string, o: Record<string, unknown>): Promise<Journal> {
  const journal = await openingFile('the journal', path, () => {
    try {
      return new Journal(path, o.hashIds ? hashSalt(o) : undefined);
    } catch (err) {
      if (err instanceof JournalBusyError || err instanceof JournalFileError)
        throw new UsageError(`${err.message}; nothing was sent`);
      throw err;
    }
  });
  if (journal.madePrivateFrom !== undefined)
    say.err(
      `note: journal ${path} could be read by others (mode ${journal.madePrivateFrom.toString(8)}); it is now owner-only (600)`,
    );
  return journal;
}

/**
 * What an earlier run left in the journal, for --resume, or a UsageError (the lock released) when it cannot be
 * trusted: a record that is not a journal record, a broken chain of digests, an end that is not the head digest the
 * user kept (--expect-head: a journal rebuilt with a consistent chain passes every other check), or another id scheme.
 */
async function readForResume(journal: Journal, path: string, o: Record<string, unknown>): Promise<JournalState> {
  let state: JournalState;
  try {
    state = await journalProblem(path, () => readJournal(path));
  } catch (err) {
    journal.close();
    throw err instanceof UsageError ? new UsageError(`--resume: ${err.message} (nothing was sent)`) : err;
  }
  const { brokenAtLine, head } = state.integrity;
  const expected = (o.expectHead as string | undefined)?.trim().toLowerCase();
  const conflict =
    brokenAtLine !== undefined
      ? `--resume: journal ${path} was altered at line ${brokenAtLine} (its chain of record digests breaks there), so it cannot say what was sent; restore it, or start a new journal`
      : expected !== undefined && expected !== head
        ? `--resume: journal ${path} ends with digest ${head}, not the ${expected} given with --expect-head: records at its end were changed, removed or added (or the journal was rebuilt), so it cannot say what was sent`
        : journal.resumeConflict(state);
  if (conflict) {
    journal.close();
    throw new UsageError(`${conflict} (nothing was sent)`);
  }
  if (expected === undefined)
    say.err(
      'note: --resume trusts this journal as it is; --expect-head <digest the last run printed> also checks that it was not rebuilt',
    );
  return state;
}

export async function cancelCommand(ids: string[], o: Record<string, unknown>): Promise<number> {
  const redactor = cliRedactor();
  redactor.add(o.hashSalt as string | undefined);
  if (o.hashIds && !hashSalt(o)) {
    throw new UsageError(
      '--hash-ids needs a salt: PRIVACY_DELETIONS_HASH_SALT or PRIVACY_DELETIONS_HASH_SALT_FILE (or --hash-salt <salt>)',
    );
  }
  if (o.resume && !o.journal) throw new UsageError('--resume needs --journal <path>');
  if (o.expectHead !== undefined && !o.resume) throw new UsageError('--expect-head checks a journal for --resume');
  if (o.expectHead !== undefined && !/^[0-9a-f]{32}$/i.test(String(o.expectHead).trim()))
    throw new UsageError('--expect-head takes the 32-hex-digit head digest a run printed');

  const accounts = loadAccounts(o.config as string | undefined, accountFlagsOf(o));
  const bySubject = o.subject !== undefined || o.subjectsFile !== undefined;
  if (bySubject && (ids.length || o.input))
    throw new UsageError('--subject finds its requests: give no ids or --input');
  if (o.split && !bySubject) throw new UsageError('--split works with --subject / --subjects-file');
  if (o.split && !o.journal && !o.dryRun)
    throw new UsageError('--split needs --journal <path>: a split cut short is finished by --resume from it');
  // by person the registry is needed; otherwise it is told what the run learns, if there is one
  const registry = bySubject ? cliRegistry(o) : o.dryRun ? undefined : knownRegistry(o);
  const subjects = bySubject ? subjectsOf(o) : [];
  const plan = registry && bySubject ? await planForSubjects(registry.store, subjects) : undefined;
  if (plan) describePlan(plan, Boolean(o.dryRun), Boolean(o.split));
  const prepared = plan ? plan.prepared : await prepareItems(ids, o, accounts);
  if (typeof prepared === 'number') return prepared;
  const { total, repeatedLines, invalidLinesSkipped, source, accountsUsed, inputSha256 } = prepared;

  const flags = clientFlagsOf(o);
  const print = (s: string) => process.stdout.write(`${s}\n`);
  const clients = clientPool(
    accounts,
    o.dryRun ? { ...flags, retries: 0, rateLimit: false, fetch: dryRunFetch(redactor, print) } : flags,
  );
  // Build every needed client now, so bad settings or missing credentials are a usage error before anything is sent.
  for (const account of accountsUsed) clients.prepare(account);
  if (o.split) for (const { request } of plan?.collateral ?? []) clients.prepare(request.account);
  if (o.split && plan) describeSplitQuota(plan, clients);
  if (o.dryRun) {
    print('dry run: these requests would be sent (nothing is sent):');
    let cancels = 0;
    for await (const item of source()) {
      cancels++;
      try {
        await clients.cancel(item.vendor, item.account, item.requestId);
      } catch (err) {
        if (!(err instanceof ConnectionError)) throw err; // the dry-run fetch refused to send
      }
    }
    if (!cancels) print(`(none${o.split && plan?.collateral.length ? ': only the splits listed above' : ''})`);
    await registry?.store.close();
    return (plan?.collateral.length && !o.split) || plan?.unmatched.length ? 1 : 0;
  }

  const journal = o.journal ? await openJournal(o.journal as string, o) : undefined;
  const resume = o.resume && journal ? await readForResume(journal, o.journal as string, o) : undefined;
  const runId = randomUUID();
  /** Who this run is, as a claim names it to another run that meets the same request. */
  const holder = claimHolder(runId);
  journal?.writeRun('run-start', {
    runId,
    tool: `privacy-deletions ${PACKAGE_VERSION}`,
    ...(inputSha256 ? { input: { file: o.input, sha256: inputSha256 } } : { ids: 'arguments' }),
    requests: total,
    ...(repeatedLines ? { repeatedLines } : {}),
    ...(invalidLinesSkipped ? { invalidLinesSkipped } : {}),
    resume: Boolean(o.resume),
    verify: o.verify !== false,
    idScheme: journal?.idScheme,
    concurrency: o.concurrency,
    ...(accounts.configPath ? { config: accounts.configPath } : {}),
    accounts: [...accountsUsed],
    ...(flags.rateLimit === undefined ? {} : { mixpanelRateLimitPerSecond: flags.rateLimit }),
  });
  const reporter = createReporter({
    json: Boolean(o.json),
    total,
    accounts: accounts.configPath !== undefined, // environment accounts are named after their vendors
  });
  const counts = new Map<ReceiptOutcome, number>();
  const finished = () => [...counts.values()].reduce((a, b) => a + b, 0);
  const halted = clients.halts;
  const splits: SplitResult[] = [];
  // Ctrl-C or SIGTERM (cron, systemd): start nothing new, let requests in flight finish and reach the journal, report.
  // A second signal stops at once; the journal is still consistent, because every step is fsynced as it happens.
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) process.exit(130);
    stop.abort();
    process.stderr.write(`\n${signal}: finishing the requests in flight, starting no new ones (again to quit now)\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await runCancellations(source, accountsUsed, {
      clients,
      journal,
      resume,
      verify: o.verify !== false,
      concurrency: o.concurrency as number,
      redactor,
      stop: stop.signal,
      claims: registry ? { store: registry.store, holder } : undefined,
      onReceipt: async (r: Receipt) => {
        counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1);
        reporter.receipt(r);
        const state = REGISTRY_STATE[r.outcome];
        const vendorStatus = r.vendorStatus ?? r.verifiedStatus;
        if (registry && (state || vendorStatus) && !r.resumed)
          await registry.store.update(r.vendor, r.account, r.requestId, {
            ...(state ? { state } : {}),
            ...(vendorStatus ? { vendorStatus } : {}),
          });
      },
    });
    // Splits after the plain cancels: each is a cancel and a create, in the vendor's order, every step journaled.
    if (o.split && plan && registry)
      for (const c of plan.collateral) {
        if (stop.signal.aborted) break;
        const result = await splitRequest(c, new Set(subjects.map((x) => x.id)), {
          clients,
          store: registry.store,
          journal,
          resume,
          redactor,
          holder,
          details: {
            actor: actorOf(o),
            reason: o.reason as string | undefined,
            ticket: o.ticket as string | undefined,
          },
        });
        splits.push(result);
        process.stdout.write(
          o.json
            ? `${JSON.stringify(result)}\n`
            : `${printable(`${result.outcome === 'split' ? 'split' : result.outcome === 'busy' ? 'BUSY' : 'NOT SPLIT'} ${result.vendor} ${result.account} ${result.requestId}: ${result.detail}`)}\n`,
        );
      }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    reporter.finish();
    try {
      journal?.writeRun('run-end', {
        runId,
        finished: finished(),
        outcomes: Object.fromEntries(counts),
        ...(stop.signal.aborted ? { interrupted: true } : {}),
        // error and line only: the request id would bypass --hash-ids
        ...(halted.size
          ? { stoppedAccounts: Object.fromEntries([...halted].map(([a, h]) => [a, { error: h.error, line: h.line }])) }
          : {}),
      });
      // The chain shows edits inside the journal; only a digest kept elsewhere shows a changed or cut-off end.
      if (journal)
        process.stderr.write(
          `journal ${o.journal} head ${journal.head} (keep it: report --expect-head and cancel --resume --expect-head check it)\n`,
        );
    } finally {
      journal?.close(); // releases the lock even when the journal could not take the run-end record
      await registry?.store.close();
    }
  }
  const summary = [...counts].map(([k, v]) => `${k} ${v}`).join(', ');
  process.stderr.write(`${summary || 'nothing to do'}\n`);
  const stopped = reportHalts(
    halted,
    () =>
      `the account's remaining requests were not sent.${o.journal ? ' Fix the cause and run again with --resume.' : ''}`,
  );
  if (stop.signal.aborted) {
    process.stderr.write(
      `interrupted: ${finished()} of ${total} request(s) finished, the rest were not started.` +
        `${o.journal ? ' Run the same command with --resume to finish.' : ''}\n`,
    );
    return 130;
  }
  if (splits.length)
    process.stderr.write(`split ${splits.filter((x) => x.outcome === 'split').length} of ${splits.length}\n`);
  if (plan?.unmatched.length)
    process.stderr.write(
      `${plan.unmatched.length} subject(s) matched no open request (${plan.unmatched.join(', ')})\n`,
    );
  if (plan?.unmatched.length || stopped) return 1;
  if (o.split ? splits.some((x) => x.outcome !== 'split') : plan?.collateral.length) return 1;
  return [...counts.keys()].every((k) => SUCCESS_OUTCOMES.includes(k)) ? 0 : 1;
}

/**
 * LivePerson counts every create against its monthly quota: say before anything is sent whether each account's
 * splits fit (a split whose create is refused leaves its request standing, reported NOT SPLIT).
 */
function describeSplitQuota(plan: SubjectPlan, clients: ClientPool): void {
  const creates = new Map<string, number>();
  for (const { request: r } of plan.collateral)
    if (r.vendor === 'liveperson') creates.set(r.account, (creates.get(r.account) ?? 0) + 1);
  for (const [account, needed] of creates) {
    const usage = clients.liveperson(account).quotaUsage();
    if (!usage) continue;
    process.stderr.write(
      `liveperson ${account}: ${needed} split(s) need ${needed} new request(s); ${usage.remaining} of the monthly quota of ${usage.limit} left (local count)` +
        `${usage.remaining < needed ? `: only the first ${usage.remaining} can be split, the others are left standing` : ''}\n`,
    );
  }
}

/** The plan of a --subject run: what is cancelled, and what is not because it would take others down with it. */
function describePlan(plan: SubjectPlan, dryRun: boolean, split: boolean): void {
  const { prepared, collateral, subjects } = plan;
  process.stderr.write(
    `${subjects} subject(s): ${prepared.total + collateral.length} open registered request(s) hold them; ` +
      `${prepared.total} hold only them${dryRun ? ' and would be cancelled' : ' and are cancelled'}\n`,
  );
  for (const where of plan.unmatched)
    process.stderr.write(
      `no open registered request holds the subject given as ${where}: check it for a typo; a request made elsewhere is found after \`registry import\`\n`,
    );
  for (const { request: r, others, unfinished } of collateral)
    if (unfinished) {
      const { last, left } = splitProgress(unfinished, others);
      process.stderr.write(
        `${split ? (dryRun ? 'would finish' : 'finishing') : 'UNFINISHED'}: the split of ${r.vendor} ${r.account} ${r.requestId} for these subjects stopped after ${last} in an earlier run${left ? `: ${left}` : ''}` +
          `${split ? '' : '; run the same command with --split --journal <file> to finish it'}\n`,
      );
    }
  for (const { request: r, named, others, unfinished } of collateral)
    if (!unfinished)
      process.stderr.write(
        split
          ? `${dryRun ? 'would split' : 'split'}: ${r.vendor} ${r.account} ${r.requestId} holds ${named} named subject(s) and ${others} other(s); ` +
              `it is cancelled and the ${others} other(s) re-submitted in a new request (${r.vendor === 'mixpanel' ? 'after the cancel: Mixpanel refuses ids in a running task' : 'before the cancel: a refused create leaves it standing'})\n`
          : `not cancelled: ${r.vendor} ${r.account} ${r.requestId} holds ${named} named subject(s) and ${others} other(s); ` +
              `cancelling it would stop their deletions too (--split cancels it and re-submits them)\n`,
      );
}
