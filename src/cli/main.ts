/**
 * privacy-deletions command line: cancel, status, list, create, sandbox.
 * Exit codes: 0 all ok, 1 not all ok, 2 usage error, 130 interrupted (Ctrl-C / SIGTERM; resume with --resume).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConnectionError } from '../core/errors.js';
import { PACKAGE_VERSION } from '../core/version.js';
import { LIVEPERSON_DELETION_TYPES } from '../liveperson/client.js';
import { startSandbox } from '../sandbox/server.js';
import { type Receipt, runCancellations, SUCCESS_OUTCOMES, type VendorHalt } from './cancel-run.js';
import { type ConnectionFlags, clientPool, cliRedactor, UsageError } from './clients.js';
import { type CliVendor, checkId, type InputItem, isProblem, readInput, VENDORS } from './input.js';
import { Journal, readJournal } from './journal.js';
import { createReporter } from './output.js';

/** SHA-256 of a file, streamed: the journal names exactly which input a run processed. */
async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const positiveInt = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};
const nonNegativeInt = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
  return n;
};

function connectionOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--vendor <vendor>', 'mixpanel or liveperson').choices([...VENDORS]))
    .option('--region <region>', 'Mixpanel data residency: us, eu or in (env MIXPANEL_REGION)')
    .option('--site-id <id>', 'LivePerson account id (env LIVEPERSON_SITE_ID)')
    .option(
      '--domain <host>',
      'LivePerson rtbf host; looked up through the Domain API when omitted (env LIVEPERSON_DOMAIN)',
    )
    .option('--mixpanel-base-url <url>', 'override the Mixpanel API base URL (env MIXPANEL_BASE_URL)')
    .option('--liveperson-base-url <url>', 'override the LivePerson API base URL (env LIVEPERSON_BASE_URL)')
    .option('--rate-limit <n>', 'Mixpanel requests per second per project token', positiveInt('--rate-limit'), 1)
    .option('--timeout <ms>', 'deadline per HTTP attempt in ms', positiveInt('--timeout'), 30_000)
    .option('--retries <n>', 'retries per request', nonNegativeInt('--retries'), 2);
}

function flagsOf(o: Record<string, unknown>): ConnectionFlags {
  return {
    region: o.region as string | undefined,
    siteId: o.siteId as string | undefined,
    domain: o.domain as string | undefined,
    mixpanelBaseUrl: o.mixpanelBaseUrl as string | undefined,
    livepersonBaseUrl: o.livepersonBaseUrl as string | undefined,
    rateLimit: o.rateLimit as number,
    timeout: o.timeout as number,
    retries: o.retries as number,
  };
}

function needVendor(o: Record<string, unknown>): CliVendor {
  if (!o.vendor) throw new UsageError('--vendor is required (mixpanel or liveperson)');
  return o.vendor as CliVendor;
}

/** Dry run: the SDK builds every request as usual; a fetch that records and refuses stops it before the network. */
function dryRunFetch(redactor: ReturnType<typeof cliRedactor>, print: (s: string) => void): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    print(`${(init?.method ?? 'GET').padEnd(6)} ${redactor.url(url)}`);
    throw new Error('dry run: not sent');
  }) as typeof fetch;
}

async function cancelCommand(ids: string[], o: Record<string, unknown>): Promise<number> {
  const redactor = cliRedactor();
  const input = o.input as string | undefined;
  if (input && ids.length) throw new UsageError('give request ids as arguments or --input, not both');
  if (!input && ids.length === 0) throw new UsageError('give at least one request id, or --input <file>');
  if (o.hashIds && !(o.hashSalt ?? process.env.PRIVACY_DELETIONS_HASH_SALT)) {
    throw new UsageError('--hash-ids needs a salt: --hash-salt <salt> or PRIVACY_DELETIONS_HASH_SALT');
  }
  if (o.resume && !o.journal) throw new UsageError('--resume needs --journal <path>');

  let total: number | undefined;
  let repeatedLines = 0;
  let invalidLinesSkipped = 0;
  let source: () => AsyncIterable<InputItem>;
  const vendorsUsed = new Set<CliVendor>();
  if (input) {
    // First pass: validate the whole file before anything is sent, and find repeated requests.
    const problems: { line: number; message: string }[] = [];
    const firstLine = new Map<string, number>();
    const repeats = new Map<number, number>(); // line → the earlier line with the same vendor and id
    for await (const x of readInput(input)) {
      if (isProblem(x)) problems.push(x);
      else {
        const key = `${x.vendor}\n${x.requestId}`;
        const first = firstLine.get(key);
        if (first === undefined) firstLine.set(key, x.line ?? 0);
        else repeats.set(x.line ?? 0, first);
        vendorsUsed.add(x.vendor);
      }
    }
    const valid = firstLine.size;
    firstLine.clear();
    if (problems.length) {
      for (const p of problems.slice(0, 50)) process.stderr.write(`${input}:${p.line}: ${p.message}\n`);
      if (problems.length > 50) process.stderr.write(`… and ${problems.length - 50} more invalid lines\n`);
      if (!o.skipInvalid) {
        process.stderr.write(
          `${problems.length} invalid line(s); nothing was sent. Fix them or pass --skip-invalid.\n`,
        );
        return 2;
      }
      process.stderr.write(`skipping ${problems.length} invalid line(s) (--skip-invalid)\n`);
      invalidLinesSkipped = problems.length;
    }
    repeatedLines = repeats.size;
    if (repeats.size) {
      const shown = [...repeats].slice(0, 20);
      for (const [line, first] of shown)
        process.stderr.write(`${input}:${line}: same request as line ${first}; sent once, reported on line ${first}\n`);
      if (repeats.size > shown.length)
        process.stderr.write(`… and ${repeats.size - shown.length} more repeated lines\n`);
    }
    total = valid;
    source = async function* () {
      for await (const x of readInput(input)) if (!isProblem(x) && !repeats.has(x.line ?? 0)) yield x;
    };
  } else {
    const vendor = needVendor(o);
    vendorsUsed.add(vendor);
    const checked = ids.map((id): string => {
      try {
        return checkId(vendor, id);
      } catch (err) {
        throw new UsageError(`request id ${JSON.stringify(id)}: ${(err as Error).message.replace(/^\w+ input: /, '')}`);
      }
    });
    const items = [...new Set(checked)].map((requestId): InputItem => ({ vendor, requestId }));
    if (items.length < checked.length)
      process.stderr.write(`${checked.length - items.length} repeated request id(s) will be sent once\n`);
    total = items.length;
    source = async function* () {
      yield* items;
    };
  }

  const flags = flagsOf(o);
  if (o.dryRun) {
    const print = (s: string) => process.stdout.write(`${s}\n`);
    const clients = clientPool({ ...flags, retries: 0, rateLimit: false, fetch: dryRunFetch(redactor, print) });
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

  const clients = clientPool(flags);
  // Build every needed client now, so missing credentials are a usage error before anything is sent.
  for (const v of vendorsUsed) clients.for(v);
  const journal = o.journal
    ? new Journal(
        o.journal as string,
        o.hashIds ? String(o.hashSalt ?? process.env.PRIVACY_DELETIONS_HASH_SALT) : undefined,
      )
    : undefined;
  const resume = o.resume ? readJournal(o.journal as string) : undefined;
  const runId = randomUUID();
  journal?.writeRun('run-start', {
    runId,
    tool: `privacy-deletions ${PACKAGE_VERSION}`,
    ...(input ? { input: { file: input, sha256: await sha256File(input) } } : { ids: 'arguments' }),
    requests: total,
    ...(repeatedLines ? { repeatedLines } : {}),
    ...(invalidLinesSkipped ? { invalidLinesSkipped } : {}),
    resume: Boolean(o.resume),
    verify: o.verify !== false,
    hashedIds: Boolean(o.hashIds),
    concurrency: o.concurrency,
    mixpanelRateLimitPerSecond: flags.rateLimit,
  });
  const reporter = createReporter({ json: Boolean(o.json), total });
  const counts = new Map<string, number>();
  const halted = new Map<CliVendor, VendorHalt>();
  let allOk = true;
  let finished = 0;
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
        finished++;
        counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1);
        if (!SUCCESS_OUTCOMES.includes(r.outcome)) allOk = false;
        reporter.receipt(r);
      },
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    reporter.finish();
    journal?.writeRun('run-end', {
      runId,
      finished,
      outcomes: Object.fromEntries(counts),
      ...(stop.signal.aborted ? { interrupted: true } : {}),
      // error and line only: the request id would bypass --hash-ids
      ...(halted.size
        ? { stoppedVendors: Object.fromEntries([...halted].map(([v, h]) => [v, { error: h.error, line: h.line }])) }
        : {}),
    });
    journal?.close();
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
      `interrupted: ${finished} of ${total} request(s) finished, the rest were not started.` +
        `${o.journal ? ' Run the same command with --resume to finish.' : ''}\n`,
    );
    return 130;
  }
  return allOk ? 0 : 1;
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(`${question} [y/N] `);
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

export function buildProgram(): Command {
  const program = new Command('privacy-deletions')
    .description('Create, check and cancel GDPR/CCPA deletion requests at LivePerson and Mixpanel.')
    .version(PACKAGE_VERSION)
    .showHelpAfterError()
    .exitOverride();

  connectionOptions(
    program
      .command('cancel')
      .description('cancel deletion requests (ids as arguments, or --input CSV / JSON Lines)')
      .argument('[ids...]', 'request ids (with --vendor)'),
  )
    .option('--input <file>', 'CSV (vendor,request_id) or JSON Lines ({"vendor","requestId"}) file')
    .option('--skip-invalid', 'send the valid lines even if some lines are invalid')
    .option('--concurrency <n>', 'requests in flight', positiveInt('--concurrency'), 4)
    .option('--no-verify', 'do not re-read the status after an accepted cancel')
    .option('--json', 'one JSON object per result on stdout')
    .option('--journal <path>', 'append every state change here (fsynced), for audit and --resume')
    .option(
      '--resume',
      'with --journal: skip requests the vendor already decided; retry failed ones, re-verify accepted ones',
    )
    .option('--hash-ids', 'write salted hashes instead of request ids to the journal')
    .option('--hash-salt <salt>', 'salt for --hash-ids (or env PRIVACY_DELETIONS_HASH_SALT)')
    .option('--dry-run', 'print the requests that would be sent, send nothing')
    .action(async (ids: string[], o: Record<string, unknown>) => {
      process.exitCode = await cancelCommand(ids, o);
    });

  connectionOptions(program.command('status').description('show the status of deletion requests').argument('<ids...>'))
    .option('--json', 'JSON output')
    .action(async (ids: string[], o: Record<string, unknown>) => {
      const vendor = needVendor(o);
      const clients = clientPool(flagsOf(o));
      for (const id of ids) {
        const { status, record } = await clients.readStatus(vendor, id);
        process.stdout.write(
          o.json
            ? `${JSON.stringify({ vendor, requestId: id, status, result: record })}\n`
            : `${vendor} ${id} ${status}\n`,
        );
      }
    });

  connectionOptions(program.command('list').description('list LivePerson deletion requests'))
    .option('--status <status>', 'NOT_STARTED, IN_PROGRESS, CANCELED or DONE')
    .option('--from <date>', 'from date yyyy-mm-dd')
    .option('--to <date>', 'to date yyyy-mm-dd')
    .option('--json', 'JSON output')
    .action(async (o: Record<string, unknown>) => {
      if (o.vendor && o.vendor !== 'liveperson')
        throw new UsageError('list is available for LivePerson only (Mixpanel has no list method)');
      const list = await clientPool(flagsOf(o))
        .liveperson()
        .listDeletionRequests({
          ...(o.status ? { status: o.status as string } : {}),
          ...(o.from ? { fromDate: o.from as string } : {}),
          ...(o.to ? { toDate: o.to as string } : {}),
        });
      for (const r of list) {
        process.stdout.write(
          o.json
            ? `${JSON.stringify(r)}\n`
            : `${r.request_id} ${r.status ?? (r.is_canceled ? 'CANCELED' : '-')} ${r.request_time ?? ''}\n`,
        );
      }
    });

  connectionOptions(program.command('create').description('create a deletion request (irreversible once final)'))
    .requiredOption('--ids <ids>', 'comma-separated subject ids')
    .addOption(new Option('--type <type>', 'LivePerson deletion type').choices([...LIVEPERSON_DELETION_TYPES]))
    .option('--compliance-type <type>', 'Mixpanel: GDPR or CCPA', 'GDPR')
    .option('--yes', 'do not ask for confirmation')
    .action(async (o: Record<string, unknown>) => {
      const vendor = needVendor(o);
      const ids = String(o.ids)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (vendor === 'liveperson' && !o.type) throw new UsageError('--type is required for LivePerson');
      if (!o.yes) {
        if (!process.stdin.isTTY)
          throw new UsageError('create deletes personal data: pass --yes (no terminal to ask on)');
        if (!(await confirm(`Create a ${vendor} deletion request for ${ids.length} id(s)?`)))
          throw new UsageError('not confirmed; nothing was sent');
      }
      const clients = clientPool(flagsOf(o));
      const created =
        vendor === 'mixpanel'
          ? await clients.mixpanel().createDeletion({ distinctIds: ids, complianceType: o.complianceType as 'GDPR' })
          : await clients.liveperson().createDeletionRequest({ [o.type as 'consumer']: ids } as { consumer: string[] });
      const id = 'taskId' in created ? created.taskId : String(created.request_id);
      process.stdout.write(`${JSON.stringify({ vendor, requestId: id })}\n`);
    });

  program
    .command('sandbox')
    .description('start a local stateful stand-in for both vendors (for demos and tests)')
    .option('--port <port>', 'port (0 = any free port)', nonNegativeInt('--port'), 4020)
    .option(
      '--mixpanel-rps <n>',
      'Mixpanel requests per second per project before 429',
      positiveInt('--mixpanel-rps'),
      1,
    )
    .option(
      '--liveperson-quota <n>',
      'LivePerson create requests per month before 429',
      positiveInt('--liveperson-quota'),
      100,
    )
    .action(async (o: { port: number; mixpanelRps: number; livepersonQuota: number }) => {
      const sb = await startSandbox({
        port: o.port,
        mixpanelRequestsPerSecond: o.mixpanelRps,
        livePersonMonthlyQuota: o.livepersonQuota,
      });
      process.stdout.write(
        `sandbox listening on ${sb.url}\n  Mixpanel base URL:   ${sb.url}/mixpanel\n  LivePerson base URL: ${sb.url}/liveperson\n` +
          `  control: POST ${sb.url}/_sandbox/clock {"advanceMs":…}, POST ${sb.url}/_sandbox/seed {"vendor","count","ageMs"}\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => sb.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
  return program;
}

export async function main(argv = process.argv): Promise<number> {
  // A closed pipe (e.g. `| head`) ends output quietly instead of crashing.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  const redactor = cliRedactor();
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${redactor.string(err.message)}\n`);
      return 2;
    }
    process.stderr.write(
      `error: ${redactor.string(err instanceof Error ? `${err.name}: ${err.message}` : String(err))}\n`,
    );
    return 1;
  }
}
