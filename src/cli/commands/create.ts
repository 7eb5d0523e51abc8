/**
 * `privacy-deletions create`: one deletion request, guarded (asks on a terminal, refuses without --yes off one). Mixpanel
 * ids already in a running task are named and the rest scheduled; LivePerson creates are counted in the local quota
 * ledger, and a created id is printed even when that count cannot be saved (exit 3).
 */
import { createInterface } from 'node:readline/promises';
import { loadAccounts } from '../accounts/accounts.js';
import { clientPool } from '../accounts/clients.js';
import { pickAccount } from '../items.js';
import { accountFlagsOf, type CliVendor, clientFlagsOf } from '../options.js';
import { say } from '../terminal.js';
import { UsageError } from '../usage.js';

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(`${question} [y/N] `);
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

export async function createCommand(o: Record<string, unknown>): Promise<void> {
  const accounts = loadAccounts(o.config as string | undefined, accountFlagsOf(o));
  const account = pickAccount(accounts, o.vendor as CliVendor | undefined, o.account as string | undefined);
  const vendor = accounts.get(account)?.vendor as CliVendor;
  const ids = String(o.ids)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (vendor === 'liveperson' && !o.type) throw new UsageError('--type is required for LivePerson');
  if (!o.yes) {
    if (!process.stdin.isTTY) throw new UsageError('create deletes personal data: pass --yes (no terminal to ask on)');
    if (!(await confirm(`Create a ${vendor} deletion request for ${ids.length} id(s)?`)))
      throw new UsageError('not confirmed; nothing was sent');
  }
  // A count that cannot be saved after LivePerson created the request must not hide the request: its id is
  // printed all the same (a retry would create a duplicate), with a warning and exit 3.
  let ledgerFailure: { error: unknown; path: string } | undefined;
  const clients = clientPool(accounts, {
    ...clientFlagsOf(o),
    monthlyQuota: o.monthlyQuota as number | undefined,
    quotaLedger: o.quotaLedger as string | undefined,
    onLedgerError: (error: unknown, path: string) => {
      ledgerFailure ??= { error, path };
    },
  });
  if (vendor === 'mixpanel') {
    // Ids that already have a running deletion task are left out and named, the rest are scheduled.
    const created = await clients.mixpanel(account).createDeletion({
      distinctIds: ids,
      complianceType: o.complianceType as 'GDPR',
      onConflict: 'submit-rest',
    });
    const { alreadyScheduled } = created;
    process.stdout.write(`${JSON.stringify({ vendor, account, requestId: created.taskId, alreadyScheduled })}\n`);
    if (alreadyScheduled)
      say.err(
        `${alreadyScheduled.distinctIds.length} id(s) already had a running deletion task (${alreadyScheduled.taskIds.join(', ')}); the other ${ids.length - alreadyScheduled.distinctIds.length} were scheduled`,
      );
    return;
  }
  const liveperson = clients.liveperson(account);
  const created = await liveperson.createDeletionRequest({ [o.type as 'consumer']: ids } as { consumer: string[] });
  const requestId = String(created.request_id);
  if (ledgerFailure) {
    const { error, path } = ledgerFailure;
    const why = (error as NodeJS.ErrnoException)?.code ?? (error as Error)?.message ?? String(error);
    process.stdout.write(
      `${JSON.stringify({ vendor, account, requestId, warning: { quotaLedger: path, error: why, counted: false } })}\n`,
    );
    say.err(
      `warning: LivePerson created request ${requestId}, but the local count of creates in ${path} could not be ` +
        `updated (${why}); this create is not counted there. Do not repeat the create; free space or fix the file.`,
    );
    process.exitCode = 3;
    return;
  }
  process.stdout.write(`${JSON.stringify({ vendor, account, requestId })}\n`);
  const quota = liveperson.quotaUsage();
  if (quota)
    say.err(
      `LivePerson creates in ${quota.month} (local count): ${quota.used} of ${quota.limit}, ${quota.remaining} left`,
    );
}
