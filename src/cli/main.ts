/**
 * privacy-deletions command line: cancel, status, report, list, create, sandbox.
 * Exit codes: 0 all ok, 1 not all ok, 2 usage error, 130 interrupted (Ctrl-C / SIGTERM; resume with --resume).
 */
import { createInterface } from 'node:readline/promises';
import { Command, CommanderError, Option } from 'commander';
import { PACKAGE_VERSION } from '../core/version.js';
import { LIVEPERSON_DELETION_TYPES } from '../liveperson/client.js';
import { startSandbox } from '../sandbox/server.js';
import { cancelCommand } from './cancel-command.js';
import { clientPool, cliRedactor } from './clients.js';
import { connectionOptions, flagsOf, needVendor, nonNegativeInt, positiveInt } from './options.js';
import { reportCommand } from './report-command.js';
import { statusCommand } from './status-command.js';
import { say } from './terminal.js';
import { UsageError } from './usage.js';

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
    .showHelpAfterError('(add --help for usage)')
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
    .option(
      '--expect-head <digest>',
      'with --resume: the head digest the last run printed; refuses a journal whose end differs (or was rebuilt)',
    )
    .option('--hash-ids', 'write salted hashes instead of request ids to the journal')
    .option(
      '--hash-salt <salt>',
      'salt for --hash-ids; better env PRIVACY_DELETIONS_HASH_SALT or …_FILE (a flag shows in the process list)',
    )
    .option('--dry-run', 'print the requests that would be sent, send nothing')
    .action(async (ids: string[], o: Record<string, unknown>) => {
      process.exitCode = await cancelCommand(ids, o);
    });

  connectionOptions(
    program
      .command('status')
      .description('show the current vendor status of deletion requests (ids as arguments, or --input)')
      .argument('[ids...]', 'request ids (with --vendor)'),
  )
    .option('--input <file>', 'CSV (vendor,request_id) or JSON Lines file, as for cancel; validated first')
    .option(
      '--cancel-window-days <n>',
      "LivePerson's cancel window, for the cancellable-until estimate",
      positiveInt('--cancel-window-days'),
      5,
    )
    .option(
      '--concurrency <n>',
      'reads in flight (Mixpanel still keeps to --rate-limit)',
      positiveInt('--concurrency'),
      4,
    )
    .option('--json', 'JSON output, one object per request')
    .action(async (ids: string[], o: Record<string, unknown>) => {
      process.exitCode = await statusCommand(ids, o);
    });

  program
    .command('report')
    .description('what a journal says happened to every request: runs, final outcomes, requests in doubt')
    .requiredOption('--journal <path>', 'the journal written by cancel --journal')
    .option(
      '--expect-head <digest>',
      'the head digest the run printed: checks that the end of the journal is unchanged',
    )
    .option('--json', 'one JSON document')
    .action(async (o: Record<string, unknown>) => {
      process.exitCode = await reportCommand(o);
    });

  connectionOptions(program.command('list').description('list LivePerson deletion requests'))
    .option('--status <status>', 'NOT_STARTED, IN_PROGRESS, CANCELED or DONE')
    .option('--from <date>', 'from date yyyy-mm-dd')
    .option('--to <date>', 'to date yyyy-mm-dd')
    .option('--json', 'JSON output')
    .action(async (o: Record<string, unknown>) => {
      if (o.vendor && o.vendor !== 'liveperson')
        throw new UsageError('list is available for LivePerson only (Mixpanel has no list method)');
      const redactor = cliRedactor();
      const list = await clientPool(flagsOf(o))
        .liveperson()
        .listDeletionRequests({
          ...(o.status ? { status: o.status as string } : {}),
          ...(o.from ? { fromDate: o.from as string } : {}),
          ...(o.to ? { toDate: o.to as string } : {}),
        });
      for (const r of list) {
        if (o.json) process.stdout.write(`${JSON.stringify(redactor.value(r))}\n`);
        else say.out(`${r.request_id} ${r.status ?? (r.is_canceled ? 'CANCELED' : '-')} ${r.request_time ?? ''}`);
      }
    });

  connectionOptions(program.command('create').description('create a deletion request (irreversible once final)'))
    .requiredOption('--ids <ids>', 'comma-separated subject ids')
    .addOption(new Option('--type <type>', 'LivePerson deletion type').choices([...LIVEPERSON_DELETION_TYPES]))
    .option('--compliance-type <type>', 'Mixpanel: GDPR or CCPA', 'GDPR')
    .option('--yes', 'do not ask for confirmation')
    .option(
      '--monthly-quota <n>',
      'LivePerson creates allowed per month before a local refusal (env LIVEPERSON_MONTHLY_QUOTA; default 100)',
      positiveInt('--monthly-quota'),
    )
    .option('--quota-ledger <path>', 'file counting LivePerson creates per month (env LIVEPERSON_QUOTA_LEDGER)')
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
      // A count that cannot be saved after LivePerson created the request must not hide the request: its id is
      // printed all the same (a retry would create a duplicate), with a warning and exit 3.
      let ledgerFailure: { error: unknown; path: string } | undefined;
      const clients = clientPool({
        ...flagsOf(o),
        monthlyQuota: o.monthlyQuota as number | undefined,
        quotaLedger: o.quotaLedger as string | undefined,
        onLedgerError: (error, path) => {
          ledgerFailure ??= { error, path };
        },
      });
      if (vendor === 'mixpanel') {
        // Ids that already have a running deletion task are left out and named, the rest are scheduled.
        const created = await clients.mixpanel().createDeletion({
          distinctIds: ids,
          complianceType: o.complianceType as 'GDPR',
          onConflict: 'submit-rest',
        });
        const { alreadyScheduled } = created;
        process.stdout.write(`${JSON.stringify({ vendor, requestId: created.taskId, alreadyScheduled })}\n`);
        if (alreadyScheduled)
          say.err(
            `${alreadyScheduled.distinctIds.length} id(s) already had a running deletion task (${alreadyScheduled.taskIds.join(', ')}); the other ${ids.length - alreadyScheduled.distinctIds.length} were scheduled`,
          );
        return;
      }
      const liveperson = clients.liveperson();
      const created = await liveperson.createDeletionRequest({ [o.type as 'consumer']: ids } as { consumer: string[] });
      const requestId = String(created.request_id);
      if (ledgerFailure) {
        const { error, path } = ledgerFailure;
        const why = (error as NodeJS.ErrnoException)?.code ?? (error as Error)?.message ?? String(error);
        process.stdout.write(
          `${JSON.stringify({ vendor, requestId, warning: { quotaLedger: path, error: why, counted: false } })}\n`,
        );
        say.err(
          `warning: LivePerson created request ${requestId}, but the local count of creates in ${path} could not be ` +
            `updated (${why}); this create is not counted there. Do not repeat the create; free space or fix the file.`,
        );
        process.exitCode = 3;
        return;
      }
      process.stdout.write(`${JSON.stringify({ vendor, requestId })}\n`);
      const quota = liveperson.quotaUsage();
      if (quota)
        say.err(
          `LivePerson creates in ${quota.month} (local count): ${quota.used} of ${quota.limit}, ${quota.remaining} left`,
        );
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
          `  control (content-type: application/json): POST ${sb.url}/_sandbox/clock {"advanceMs":…}, POST ${sb.url}/_sandbox/seed {"vendor","count","ageMs"}\n`,
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
      say.err(`error: ${redactor.string(err.message)}`);
      return 2;
    }
    say.err(`error: ${redactor.string(err instanceof Error ? `${err.name}: ${err.message}` : String(err))}`);
    return 1;
  }
}
