/** `privacy-deletions status`: the current vendor status of each request. */
import type { CancelWindowState } from '../../core/cancel.js';
import { NotFoundError } from '../../core/errors.js';
import { loadAccounts } from '../accounts/accounts.js';
import { clientPool, reportHalts, type StatusRead } from '../accounts/clients.js';
import { cliRedactor } from '../accounts/secrets.js';
import { prepareItems } from '../items.js';
import { accountFlagsOf, clientFlagsOf } from '../options.js';
import { describeFailure } from '../run/output.js';
import { runPool } from '../run/pool.js';
import { knownRegistry, REGISTRY_STATE } from '../store/registry.js';
import { printable } from '../terminal.js';

/**
 * `privacy-deletions status`: reads each request's current vendor status. A request whose read fails is reported on
 * its own line and the rest go on (exit 1); rate limits are the SDK's, as for cancel. What each read says is recorded
 * in the registry (when there is one) for the requests it holds.
 */
export async function statusCommand(ids: string[], o: Record<string, unknown>): Promise<number> {
  const redactor = cliRedactor();
  const accounts = loadAccounts(o.config as string | undefined, accountFlagsOf(o));
  const prepared = await prepareItems(ids, o, accounts);
  if (typeof prepared === 'number') return prepared;
  const days = o.cancelWindowDays as number | undefined;
  const clients = clientPool(accounts, {
    ...clientFlagsOf(o),
    ...(days === undefined ? {} : { cancelWindowMs: days * 86_400_000 }),
  });
  for (const account of prepared.accountsUsed) clients.prepare(account);
  const registry = knownRegistry(o); // each status read is a fact the store keeps
  const named = accounts.configPath !== undefined; // environment accounts are named after their vendors
  let failed = 0;
  const states = new Map<CancelWindowState, number>();
  let earliestDeadline: string | undefined;
  // Reads run concurrently but print in input order: each waits in `done` until the ones before it have printed.
  const done = new Map<number, string>();
  let printed = 0;
  const print = (seq: number, text: string) => {
    done.set(seq, text);
    for (let next = done.get(printed); next !== undefined; next = done.get(printed)) {
      process.stdout.write(o.json ? next : printable(next));
      done.delete(printed++);
    }
  };
  let seq = 0;
  const numbered = async function* () {
    for await (const item of prepared.source()) yield { ...item, seq: seq++ };
  };
  await runPool(
    numbered(),
    { concurrency: o.concurrency as number },
    async ({ seq, line, vendor, requestId, account }) => {
      const at = line === undefined ? {} : { line };
      const who = named ? `${vendor} ${account}` : vendor;
      let read: StatusRead;
      try {
        read = await clients.readStatus(vendor, account, requestId);
      } catch (err) {
        if (!(err instanceof NotFoundError)) {
          failed++;
          const failure = describeFailure(err, redactor);
          print(
            seq,
            o.json
              ? `${JSON.stringify({ ...at, vendor, account, requestId, ...failure })}\n`
              : `${who} ${requestId} ERROR ${failure.error}: ${failure.detail}\n`,
          );
          return;
        }
        // LivePerson answers an unknown id with 404 where Mixpanel says NOT_FOUND: the same answer, not a failed read.
        read = { status: 'NOT_FOUND', state: 'not_found', record: undefined };
      }
      const { status, state, record, cancellableUntil } = read;
      const known = REGISTRY_STATE[state];
      await registry?.store.update(vendor, account, requestId, {
        vendorStatus: status,
        ...(known ? { state: known } : {}),
      });
      states.set(state, (states.get(state) ?? 0) + 1);
      if (cancellableUntil && (!earliestDeadline || cancellableUntil < earliestDeadline))
        earliestDeadline = cancellableUntil;
      const until = cancellableUntil ? { cancellableUntil } : {};
      print(
        seq,
        o.json
          ? `${JSON.stringify({ ...at, vendor, account, requestId, status, state, ...until, result: redactor.value(record) })}\n`
          : `${who} ${requestId} ${status} ${STATE_WORDS[state]}${cancellableUntil ? ` until about ${cancellableUntil} (${timeLeft(cancellableUntil)})` : ''}\n`,
      );
    },
  );
  // A triage line for whoever has to act before a deadline: how many can still be stopped, and the first to close.
  const summary = (Object.keys(STATE_WORDS) as CancelWindowState[])
    .filter((state) => states.has(state))
    .map((state) => `${state} ${states.get(state)}`)
    .join(', ');
  const first = earliestDeadline
    ? `; the first LivePerson window closes about ${earliestDeadline} (${timeLeft(earliestDeadline)})`
    : '';
  await registry?.store.close();
  process.stderr.write(`${summary || 'nothing read'}${first}\n`);
  reportHalts(clients.halts, () => "the account's remaining reads were not sent (ERROR AccountHaltedError above)");
  if (failed) process.stderr.write(`${failed} status read(s) failed\n`);
  return failed ? 1 : 0;
}

/** The `state` column: what a cancel sent now would do. */
const STATE_WORDS: Record<CancelWindowState, string> = {
  cancellable: 'cancellable',
  already_cancelled: 'already cancelled',
  too_late: 'too late to cancel',
  not_found: 'not found',
  unknown: 'unknown status',
};

/** "in 4 d 3 h", "in 45 min" or "passed": how long is left to cancel. */
function timeLeft(iso: string): string {
  const ms = Date.parse(iso) - Date.now();
  if (ms <= 0) return 'passed';
  const h = Math.floor(ms / 3_600_000);
  return h >= 24 ? `in ${Math.floor(h / 24)} d ${h % 24} h` : h >= 1 ? `in ${h} h` : `in ${Math.ceil(ms / 60_000)} min`;
}
