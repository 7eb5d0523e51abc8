/**
 * privacy-deletions command line: cancel, status, report, list, create, doctor, sandbox. This file only defines the commands
 * and their flags; each command's code (and the SDK, csv-parse, the sandbox) is imported when that command runs, so
 * `--help` and `--version` start fast.
 * Exit codes: 0 all ok, 1 not all ok, 2 usage error, 130 interrupted (Ctrl-C / SIGTERM; resume with --resume).
 */
import { Command, CommanderError, Option } from 'commander';
import { PACKAGE_VERSION } from '../core/version.js';
import { LIVEPERSON_DELETION_TYPES } from '../liveperson/deletion-types.js';
import { connectionOptions, nonNegativeInt, positiveInt } from './options.js';

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
    .option(
      '--subject <id>',
      'cancel the registered requests holding this person (repeatable); a request holding others too is not cancelled',
      (v: string, all: string[] = []) => [...all, v],
    )
    .option('--subjects-file <file>', 'subject ids, one a line, for --subject')
    .option(
      '--split',
      'with --subject: cancel a request that holds others too, and re-submit the others in a new one (needs --journal)',
    )
    .option('--reason <text>', 'with --split: why (kept in the registry for the new request)')
    .option('--ticket <id>', 'with --split: the ticket (kept in the registry)')
    .option('--actor <name>', 'with --split: who (default: the OS user)');
  registryOptions(program.commands.at(-1) as Command).action(async (ids: string[], o: Record<string, unknown>) => {
    process.exitCode = await (await import('./commands/cancel.js')).cancelCommand(ids, o);
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
      "LivePerson's cancel window, for the cancellable-until estimate (default: the account's, else 5)",
      positiveInt('--cancel-window-days'),
    )
    .option(
      '--concurrency <n>',
      'reads in flight (Mixpanel still keeps to --rate-limit)',
      positiveInt('--concurrency'),
      4,
    )
    .option('--json', 'JSON output, one object per request');
  registryOptions(program.commands.at(-1) as Command).action(async (ids: string[], o: Record<string, unknown>) => {
    process.exitCode = await (await import('./commands/status.js')).statusCommand(ids, o);
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
      process.exitCode = await (await import('./commands/report.js')).reportCommand(o);
    });

  connectionOptions(program.command('list').description('list LivePerson deletion requests'))
    .option('--status <status>', 'NOT_STARTED, IN_PROGRESS, CANCELED or DONE')
    .option('--from <date>', 'from date yyyy-mm-dd')
    .option('--to <date>', 'to date yyyy-mm-dd')
    .option('--json', 'JSON output')
    .action(async (o: Record<string, unknown>) => (await import('./commands/list.js')).listCommand(o));

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
    .option('--reason <text>', 'why (kept in the registry)')
    .option('--ticket <id>', 'the ticket or case it answers (kept in the registry)')
    .option('--actor <name>', 'who asks (kept in the registry; default: the OS user)');
  registryOptions(program.commands.at(-1) as Command)
    .option('--no-registry', 'do not record the request in the registry')
    .action(async (o: Record<string, unknown>) => (await import('./commands/create.js')).createCommand(o));

  registryOptions(
    connectionOptions(
      program.command('deadlines').description('open registered requests, the soonest-closing cancel window first'),
    ),
  )
    .option('--refresh', "read each request's current status first (and record it)")
    .option('--within <span>', 'exit 1 when a LivePerson window closes within this span (e.g. 24h, 3d, 90m)')
    .option('--ics <file>', 'also write the deadlines as an iCalendar file (owner-only; never through a link)')
    .option('--force', 'with --ics: replace the file if it exists')
    .option('--json', 'JSON output, one object per request')
    .action(async (o: Record<string, unknown>) => {
      process.exitCode = await (await import('./commands/deadlines.js')).deadlinesCommand(o);
    });

  const registry = program.command('registry').description('the local registry of deletion requests');
  registryOptions(
    connectionOptions(
      registry
        .command('import')
        .description('record requests made elsewhere: LivePerson from its list, Mixpanel from a file of tracking ids'),
    ),
  )
    .option('--from <date>', 'LivePerson: from date yyyy-mm-dd')
    .option('--to <date>', 'LivePerson: to date yyyy-mm-dd')
    .option('--input <file>', 'Mixpanel: a file with one tracking id a line')
    .option('--actor <name>', 'who imports (default: the OS user)')
    .action(async (o: Record<string, unknown>) => {
      process.exitCode = await (await import('./commands/registry.js')).registryImportCommand(o);
    });

  connectionOptions(
    program
      .command('doctor')
      .description('check each account: credentials, tokens, one read that changes nothing, clock, quota'),
  )
    .option('--probe', 'also check every answer against the specs and try the open questions (read-only)')
    .option('--record <dir>', 'save the redacted exchanges as JSON fixtures in this folder')
    .option('--json', 'one JSON document')
    .action(async (o: Record<string, unknown>) => {
      process.exitCode = await (await import('./commands/doctor.js')).doctorCommand(o);
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
    .option(
      '--liveperson-token-ttl <seconds>',
      'lifetime of the LivePerson tokens it issues (client credentials, login) on its clock',
      positiveInt('--liveperson-token-ttl'),
      3600,
    )
    .action(async (o: { port: number; mixpanelRps: number; livepersonQuota: number; livepersonTokenTtl: number }) =>
      (await import('./commands/sandbox.js')).sandboxCommand(o),
    );
  return program;
}

/** Where the request registry is, for the commands that use it. */
function registryOptions(cmd: Command): Command {
  return cmd
    .option('--registry <file>', 'the request registry (default: $XDG_STATE_HOME/privacy-deletions/registry.db)')
    .option(
      '--registry-plain-subjects',
      'keep subject ids in plain text in a new registry (default: salted digests; PRIVACY_DELETIONS_HASH_SALT)',
    );
}

export async function main(argv = process.argv): Promise<number> {
  // A closed pipe (e.g. `| head`) ends output quietly instead of crashing.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    // Only now: building the redactor reads every secret, and its module loads the SDK.
    const redactor = (await import('./accounts/secrets.js')).cliRedactor();
    const [{ UsageError }, { say }] = await Promise.all([import('./usage.js'), import('./terminal.js')]);
    if (err instanceof UsageError) {
      say.err(`error: ${redactor.string(err.message)}`);
      return 2;
    }
    say.err(`error: ${redactor.string(err instanceof Error ? `${err.name}: ${err.message}` : String(err))}`);
    return 1;
  }
}
