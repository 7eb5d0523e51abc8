/**
 * `privacy-deletions registry import`: records requests made outside this tool. LivePerson: every request its list
 * returns for a date range, with the subjects of its `delete_json`. Mixpanel (no list): the tracking ids of a file,
 * each read once for its subjects (`distinct_ids`, where the status returns them) and its date.
 */
import { readFileSync } from 'node:fs';
import type { RequestCreated } from '../../core/registry.js';
import type { LivePersonDeletionRequest as DeletionRequest } from '../../liveperson/client.js';
import { loadAccounts } from '../accounts/accounts.js';
import { clientPool } from '../accounts/clients.js';
import { cliRedactor } from '../accounts/secrets.js';
import { checkId } from '../input.js';
import { pickAccount } from '../items.js';
import { accountFlagsOf, type CliVendor, clientFlagsOf } from '../options.js';
import { describeFailure } from '../run/output.js';
import { actorOf, cliRegistry } from '../store/registry.js';
import { fileProblem, UsageError } from '../usage.js';

/** LivePerson's `delete_json` (`{"consumer":["…"]}`, as a string or an object): the type and the subject ids. */
function subjectsOf(request: DeletionRequest): { idType: string; subjects: string[] } | undefined {
  let body: unknown = (request as { delete_json?: unknown }).delete_json;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  if (!body || typeof body !== 'object') return undefined;
  const [entry] = Object.entries(body as Record<string, unknown>);
  if (!entry || !Array.isArray(entry[1])) return undefined;
  return { idType: entry[0], subjects: entry[1].filter((s): s is string => typeof s === 'string') };
}

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
  const entries: [RequestCreated, typeof details][] = [];
  let unreadable = 0;
  if (vendor === 'liveperson') {
    if (!o.from || !o.to) throw new UsageError('registry import for LivePerson needs --from and --to (yyyy-mm-dd)');
    const list = await clients
      .liveperson(account)
      .listDeletionRequests({ fromDate: o.from as string, toDate: o.to as string });
    for (const r of list) {
      const found = subjectsOf(r);
      if (!found) unreadable++;
      entries.push([
        {
          vendor,
          account,
          requestId: String(r.request_id),
          requestedAt: typeof r.request_time === 'string' ? r.request_time : new Date().toISOString(),
          idType: found?.idType ?? 'unknown',
          subjects: found?.subjects ?? [],
        },
        details,
      ]);
    }
  } else {
    if (!o.input) throw new UsageError('registry import for Mixpanel needs --input <file> (one tracking id a line)');
    let text: string;
    try {
      text = readFileSync(o.input as string, 'utf8');
    } catch (err) {
      throw fileProblem('the input file', o.input as string, err);
    }
    const ids = text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))
      .map((l, i) => {
        try {
          return checkId('mixpanel', l);
        } catch (err) {
          throw new UsageError(`${o.input}: tracking id ${i + 1}: ${(err as Error).message}`);
        }
      });
    let failed = 0;
    for (const id of ids) {
      try {
        const d = await clients.mixpanel(account).getDeletion(id);
        const results = (d.raw as { results?: { distinct_ids?: unknown } } | undefined)?.results;
        const subjects = Array.isArray(results?.distinct_ids)
          ? results.distinct_ids.filter((s) => typeof s === 'string')
          : [];
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
          details,
        ]);
      } catch (err) {
        failed++;
        const f = describeFailure(err, redactor);
        process.stderr.write(`${id}: not imported (${f.error}): ${f.detail}\n`);
      }
    }
    if (failed) process.stderr.write(`${failed} tracking id(s) could not be read\n`);
  }
  const { store, path } = cliRegistry(o);
  try {
    store.registerMany(entries);
  } finally {
    store.close();
  }
  process.stderr.write(
    `imported ${entries.length} ${vendor} request(s) of account ${account} into ${path}` +
      `${unreadable ? `; ${unreadable} without readable subjects (they cannot be found by person)` : ''}\n`,
  );
  return unreadable ? 1 : 0;
}
