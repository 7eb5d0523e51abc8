/** `privacy-deletions list`: LivePerson deletion requests, filtered by status and date (Mixpanel has no list). */
import { loadAccounts } from '../accounts/accounts.js';
import { clientPool } from '../accounts/clients.js';
import { cliRedactor } from '../accounts/secrets.js';
import { pickAccount } from '../items.js';
import { accountFlagsOf, clientFlagsOf } from '../options.js';
import { say } from '../terminal.js';
import { UsageError } from '../usage.js';

export async function listCommand(o: Record<string, unknown>): Promise<void> {
  if (o.vendor && o.vendor !== 'liveperson')
    throw new UsageError('list is available for LivePerson only (Mixpanel has no list method)');
  const redactor = cliRedactor();
  const accounts = loadAccounts(o.config as string | undefined, accountFlagsOf(o));
  const account = pickAccount(accounts, 'liveperson', o.account as string | undefined);
  const list = await clientPool(accounts, clientFlagsOf(o))
    .liveperson(account)
    .listDeletionRequests({
      ...(o.status ? { status: o.status as string } : {}),
      ...(o.from ? { fromDate: o.from as string } : {}),
      ...(o.to ? { toDate: o.to as string } : {}),
    });
  for (const r of list) {
    if (o.json) process.stdout.write(`${JSON.stringify(redactor.value(r))}\n`);
    else say.out(`${r.request_id} ${r.status ?? (r.is_canceled ? 'CANCELED' : '-')} ${r.request_time ?? ''}`);
  }
}
