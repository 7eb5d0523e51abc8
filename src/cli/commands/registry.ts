/**
 * `privacy-deletions registry import`: records requests made outside this tool. LivePerson: every request its list
 * returns for a date range, with the subjects of its `delete_json`. Mixpanel (no list): the tracking ids of a file,
 * each read once for its subjects (`distinct_ids`, where the status returns them) and its date.
 */
import { cancelWindowState } from '../../core/cancel.js';
import type { RequestCreated } from '../../core/registry.js';
import { livePersonStatus, livePersonSubjects } from '../../liveperson/client.js';
import type { RegistrationDetails, StateChange } from '../../store/request-store.js';
import { loadAccounts } from '../accounts/accounts.js';
import { AccountHaltedError, clientPool, reportHalts, STATUS_RULES } from '../accounts/clients.js';
import { cliRedactor } from '../accounts/secrets.js';
import { checkId, readListFile } from '../input.js';
import { pickAccount } from '../items.js';
import { accountFlagsOf, type CliVendor, clientFlagsOf } from '../options.js';
import { describeFailure } from '../run/output.js';
import { actorOf, cliRegistry, REGISTRY_STATE } from '../store/registry.js';
import { UsageError } from '../usage.js';

export async function registryImportCommand(o: Record<string, unknown>): Promise<number> {
  const redactor = cliRedactor();
  const accounts = loadAccounts(o.config as string | undefined, accountFlagsOf(o));
  const account = pickAccount(accounts, o.vendor as CliVendor | undefined, o.account as string | undefined);
  const vendor = accounts.get(account)?.vendor as CliVendor;
  const connection = accounts.get(account)?.connect();
  const clients = clientPool(accounts, clientFlagsOf(o));
  const details = {
    actor: actorOf(o),
    reason: 'imported',
    cancelWindowMs: connection?.vendor === 'liveperson' ? connection.cancelWindowMs : undefined,
  };
  /** What the status read at import means: a request the vendor cancelled or finished is never listed as open. */
  const asRead = (status: string): RegistrationDetails => ({
    ...details,
    vendorStatus: status,
    state: REGISTRY_STATE[cancelWindowState(STATUS_RULES[vendor], status)] ?? 'open',
  });
  const entries: [RequestCreated, RegistrationDetails][] = [];
  let unreadable = 0;
  let failed = 0;
  if (vendor === 'liveperson') {
    if (!o.from || !o.to) throw new UsageError('registry import for LivePerson needs --from and --to (yyyy-mm-dd)');
    const list = await clients
      .liveperson(account)
      .listDeletionRequests({ fromDate: o.from as string, toDate: o.to as string });
    for (const r of list) {
      const found = livePersonSubjects(r);
      if (!found) unreadable++;
      entries.push([
        {
          vendor,
          account,
          requestId: String(r.request_id),
          requestedAt: typeof r.request_time === 'string' ? r.request_time : new Date().toISOString(),
          idType: found?.type ?? 'unknown',
          subjects: found?.ids ?? [],
        },
        asRead(livePersonStatus(r)),
      ]);
    }
  } else {
    if (!o.input) throw new UsageError('registry import for Mixpanel needs --input <file> (one tracking id a line)');
    const ids = readListFile(o.input as string, 'the input file').map((l, i) => {
      try {
        return checkId('mixpanel', l);
      } catch (err) {
        throw new UsageError(`${o.input}: tracking id ${i + 1}: ${(err as Error).message}`);
      }
    });
    let notSent = 0;
    for (const id of ids) {
      try {
        const d = await clients.mixpanel(account).getDeletion(id);
        const subjects = d.distinctIds ?? [];
        if (subjects.length === 0) unreadable++;
        entries.push([
          {
            vendor,
            account,
            requestId: id,
            requestedAt: d.dateRequested ?? new Date().toISOString(),
            idType: 'distinct_id',
            subjects,
          },
          asRead(d.status),
        ]);
      } catch (err) {
        failed++;
        if (err instanceof AccountHaltedError) {
          notSent++;
          continue;
        }
        const f = describeFailure(err, redactor);
        process.stderr.write(`${id}: not imported (${f.error}): ${f.detail}\n`);
      }
    }
    reportHalts(clients.halts, () => `${notSent} more tracking id(s) were not read and are not imported`);
    if (failed) process.stderr.write(`${failed} tracking id(s) could not be read and are not imported\n`);
  }
  const { store, path } = cliRegistry(o);
  let changes: StateChange[];
  try {
    changes = await store.registerMany(entries);
  } finally {
    await store.close();
  }
  const count = (state: string) => changes.filter((c) => c.to === state).length;
  const closed = changes.filter((c) => c.to !== 'open');
  process.stderr.write(
    `imported ${entries.length} ${vendor} request(s) of account ${account} into ${path}: ${count('open')} open, ` +
      `${count('cancelled')} already cancelled, ${count('final')} past cancelling${count('superseded') ? `, ${count('superseded')} superseded by a split` : ''}` +
      `${unreadable ? `; ${unreadable} without readable subjects (they cannot be found by person)` : ''}\n`,
  );
  for (const c of closed)
    process.stderr.write(
      `  ${c.vendor} ${c.account} ${c.requestId}: ${c.to} (vendor status ${c.vendorStatus ?? 'unknown'})\n`,
    );
  return unreadable || failed ? 1 : 0;
}
