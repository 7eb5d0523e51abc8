/**
 * `privacy-deletions create`: one deletion request, guarded (asks on a terminal, refuses without --yes off one). Mixpanel
 * ids already in a running task are named and the rest scheduled; LivePerson creates are counted in the local quota
 * ledger, and a created id is printed even when that count cannot be saved (exit 3).
 */
import { createInterface } from 'node:readline/promises';
import type { RequestCreated } from '../../core/registry.js';
import { loadAccounts } from '../accounts/accounts.js';
import { clientPool } from '../accounts/clients.js';
import { pickAccount } from '../items.js';
import { accountFlagsOf, type CliVendor, clientFlagsOf } from '../options.js';
import { actorOf, cliRegistry } from '../store/registry.js';
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
  // Every create is recorded, so that it can be found again by person (cancel --subject, deadlines).
  const registry = o.registry === false ? undefined : cliRegistry(o);
  const connection = accounts.get(account)?.connect();
  const details = {
    reason: o.reason as string | undefined,
    ticket: o.ticket as string | undefined,
    actor: actorOf(o),
    cancelWindowMs: connection?.vendor === 'liveperson' ? connection.cancelWindowMs : undefined,
  };
  // Like the ledger: a request the vendor made is never hidden because it could not be recorded (exit 3).
  let registryFailure: unknown;
  const registryOptions = registry
    ? {
        registry: {
          record: async (created: RequestCreated) => {
            try {
              await registry.store.register(created, details);
            } catch (err) {
              registryFailure = err;
            }
          },
        },
      }
    : {};
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
    ...registryOptions,
    monthlyQuota: o.monthlyQuota as number | undefined,
    quotaLedger: o.quotaLedger as string | undefined,
    onLedgerError: (error: unknown, path: string) => {
      ledgerFailure ??= { error, path };
    },
  });
  /**
   * Prints the created request's id whatever else failed: a count or a registry record that could not be written is
   * a warning with exit 3 (repeating the create would make a second request). Returns false after such a warning.
   */
  const finish = async (requestId: string, extra: Record<string, unknown> = {}): Promise<boolean> => {
    const why = (error: unknown) =>
      (error as NodeJS.ErrnoException)?.code ?? (error as Error)?.message ?? String(error);
    const warning: Record<string, unknown> = {};
    if (ledgerFailure) {
      const { error, path } = ledgerFailure;
      Object.assign(warning, { quotaLedger: path, error: why(error), counted: false });
      say.err(
        `warning: LivePerson created request ${requestId}, but the local count of creates in ${path} could not be ` +
          `updated (${why(error)}); this create is not counted there. Do not repeat the create; free space or fix the file.`,
      );
    }
    if (registry && registryFailure !== undefined) {
      Object.assign(warning, { registry: registry.path, registryError: why(registryFailure), recorded: false });
      say.err(
        `warning: ${vendor} created request ${requestId}, but the registry ${registry.path} could not record it ` +
          `(${why(registryFailure)}); cancel --subject will not find it. Do not repeat the create; fix the registry, then registry import.`,
      );
    }
    const warned = Object.keys(warning).length > 0;
    process.stdout.write(
      `${JSON.stringify({ vendor, account, requestId, ...extra, ...(warned ? { warning } : {}) })}\n`,
    );
    if (warned) process.exitCode = 3;
    else if (registry) say.err(`recorded in the registry ${registry.path}`);
    await registry?.store.close();
    return !warned;
  };
  if (vendor === 'mixpanel') {
    // Ids that already have a running deletion task are left out and named, the rest are scheduled.
    const created = await clients.mixpanel(account).createDeletion({
      distinctIds: ids,
      complianceType: o.complianceType as 'GDPR',
      onConflict: 'submit-rest',
    });
    const { alreadyScheduled } = created;
    await finish(created.taskId, { alreadyScheduled });
    if (alreadyScheduled)
      say.err(
        `${alreadyScheduled.distinctIds.length} id(s) already had a running deletion task (${alreadyScheduled.taskIds.join(', ')}); the other ${ids.length - alreadyScheduled.distinctIds.length} were scheduled`,
      );
    return;
  }
  const liveperson = clients.liveperson(account);
  const created = await liveperson.createDeletionRequest({ [o.type as 'consumer']: ids } as { consumer: string[] });
  if (!(await finish(String(created.request_id)))) return;
  const quota = liveperson.quotaUsage();
  if (quota)
    say.err(
      `LivePerson creates in ${quota.month} (local count): ${quota.used} of ${quota.limit}, ${quota.remaining} left`,
    );
}
