/**
 * `privacy-deletions cancel`: validates all input first, then cancels with receipts, an optional crash-safe journal
 * (framed by run-start/run-end records), a graceful stop on Ctrl-C/SIGTERM, and --dry-run.
 * Exit codes: 0 all ok, 1 not all ok, 2 usage error or invalid input, 130 interrupted.
 */
import { randomUUID } from 'node:crypto';
import { ConnectionError } from '../core/errors.js';
import { PACKAGE_VERSION } from '../core/version.js';
import {
  type Receipt,
  type ReceiptOutcome,
  runCancellations,
  SUCCESS_OUTCOMES,
  type VendorHalt,
} from './cancel-run.js';
import { clientPool, cliRedactor, hashSaltFromEnv } from './clients.js';
import type { CliVendor } from './input.js';
import { prepareItems } from './items.js';
import { Journal, JournalBusyError, readJournal } from './journal.js';
import { flagsOf } from './options.js';
import { createReporter } from './output.js';
import { openingFile, UsageError } from './usage.js';

/** Dry run: the SDK builds every request as usual; a fetch that records and refuses stops it before the network. */
function dryRunFetch(redactor: ReturnType<typeof cliRedactor>, print: (s: string) => void): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    print(`${(init?.method ?? 'GET').padEnd(6)} ${redactor.url(url)}`);
    throw new Error('dry run: not sent');
  }) as typeof fetch;
}

/** The salt for --hash-ids: the flag, or PRIVACY_DELETIONS_HASH_SALT (or the file PRIVACY_DELETIONS_HASH_SALT_FILE). */
const hashSalt = (o: Record<string, unknown>) => (o.hashSalt as string | undefined) ?? hashSaltFromEnv();

function openJournal(path: string, o: Record<string, unknown>): Promise<Journal> {
  return openingFile('the journal', path, () => {
    try {
      return new Journal(path, o.hashIds ? hashSalt(o) : undefined);
    } catch (err) {
      if (err instanceof JournalBusyError) throw new UsageError(`${err.message}; nothing was sent`);
      throw err;
    }
  });
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

  const prepared = await prepareItems(ids, o);
  if (typeof prepared === 'number') return prepared;
  const { total, repeatedLines, invalidLinesSkipped, source, vendorsUsed, inputSha256 } = prepared;

  const flags = flagsOf(o);
  const print = (s: string) => process.stdout.write(`${s}\n`);
  const clients = clientPool(
    o.dryRun ? { ...flags, retries: 0, rateLimit: false, fetch: dryRunFetch(redactor, print) } : flags,
  );
  // Build every needed client now, so bad settings or missing credentials are a usage error before anything is sent.
  for (const v of vendorsUsed) clients.for(v);
  if (o.dryRun) {
    print('dry run: these requests would be sent (nothing is sent):');
    for await (const item of source()) {
      try {
        await (item.vendor === 'mixpanel'
          ? clients.mixpanel().cancelDeletion(item.requestId)
          : clients.liveperson().cancelDeletionRequest(item.requestId));
      } catch (err) {
        if (!(err instanceof ConnectionError)) throw err; // the dry-run fetch refused to send
      }
    }
    return 0;
  }

  const journal = o.journal ? await openJournal(o.journal as string, o) : undefined;
  const resume = o.resume ? await readJournal(o.journal as string) : undefined;
  const brokenAt = resume?.integrity.brokenAtLine;
  const conflict =
    brokenAt !== undefined
      ? `--resume: journal ${o.journal} was altered at line ${brokenAt} (its chain of record digests breaks there), so it cannot say what was sent; restore it, or start a new journal`
      : resume && journal?.resumeConflict(resume);
  if (conflict) {
    journal?.close();
    throw new UsageError(`${conflict} (nothing was sent)`);
  }
  const runId = randomUUID();
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
    mixpanelRateLimitPerSecond: flags.rateLimit,
  });
  const reporter = createReporter({ json: Boolean(o.json), total });
  const counts = new Map<ReceiptOutcome, number>();
  const finished = () => [...counts.values()].reduce((a, b) => a + b, 0);
  const halted = new Map<CliVendor, VendorHalt>();
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
    await runCancellations(source(), {
      clients,
      journal,
      resume,
      verify: o.verify !== false,
      concurrency: o.concurrency as number,
      redactor,
      halted,
      stop: stop.signal,
      onReceipt: (r: Receipt) => {
        counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1);
        reporter.receipt(r);
      },
    });
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
          ? { stoppedVendors: Object.fromEntries([...halted].map(([v, h]) => [v, { error: h.error, line: h.line }])) }
          : {}),
      });
      // The chain shows edits inside the journal; only a digest kept elsewhere shows a changed or cut-off end.
      if (journal) process.stderr.write(`journal ${o.journal} head ${journal.head} (report --expect-head checks it)\n`);
    } finally {
      journal?.close(); // releases the lock even when the journal could not take the run-end record
    }
  }
  const summary = [...counts].map(([k, v]) => `${k} ${v}`).join(', ');
  process.stderr.write(`${summary || 'nothing to do'}\n`);
  for (const [vendor, h] of halted) {
    const where = h.line === undefined ? `request ${h.requestId}` : `line ${h.line}`;
    process.stderr.write(
      `${vendor}: stopped sending after ${h.error} at ${where}; the remaining ${vendor} requests were not sent.` +
        `${o.journal ? ' Fix the cause and run again with --resume.' : ''}\n`,
    );
  }
  if (stop.signal.aborted) {
    process.stderr.write(
      `interrupted: ${finished()} of ${total} request(s) finished, the rest were not started.` +
        `${o.journal ? ' Run the same command with --resume to finish.' : ''}\n`,
    );
    return 130;
  }
  return [...counts.keys()].every((k) => SUCCESS_OUTCOMES.includes(k)) ? 0 : 1;
}
