/**
 * `privacy-deletions deadlines`: open registered requests, the soonest-closing cancel window first. LivePerson's
 * window closes at `request_time` + the account's window (5 days by default); Mixpanel has no clock (a task may start
 * at any time), so its requests are listed with their age and never count for --within. --refresh reads each status
 * first; --ics writes a calendar a DPO can subscribe to. Exit 1 with --within when a window closes inside the span.
 */
import type { DeadlineEntry } from '../../store/request-store.js';
import { loadAccounts } from '../accounts/accounts.js';
import { AccountHaltedError, clientPool, reportHalts } from '../accounts/clients.js';
import { cliRedactor } from '../accounts/secrets.js';
import { checkWritable, writePrivateFile } from '../files.js';
import { calendar } from '../ical.js';
import { accountFlagsOf, clientFlagsOf } from '../options.js';
import { describeFailure } from '../run/output.js';
import { splitProgress } from '../run/split.js';
import { cliRegistry, REGISTRY_STATE } from '../store/registry.js';
import { printable } from '../terminal.js';
import { UsageError } from '../usage.js';

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `24h`, `3d`, `90m`, `1w` in ms. */
export function parseSpan(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([mhdw])$/.exec(text.trim());
  if (!m) throw new UsageError(`--within takes a span such as 90m, 24h, 3d or 1w; got ${JSON.stringify(text)}`);
  return Number(m[1]) * (UNITS[m[2] as string] as number);
}

const age = (ms: number) => {
  const h = Math.floor(ms / 3_600_000);
  return h >= 48 ? `${Math.floor(h / 24)} d` : h >= 1 ? `${h} h` : `${Math.max(0, Math.floor(ms / 60_000))} min`;
};

/** One VEVENT per LivePerson deadline, with an alarm a day before. */
function deadlineCalendar(rows: { request: DeadlineEntry; closes: number }[]): string {
  return calendar(
    rows.map(({ request: r, closes }) => ({
      uid: `${r.vendor}-${r.account}-${r.requestId}@privacy-deletions`,
      start: closes,
      durationMs: 15 * 60_000,
      summary: `Cancel window closes: ${r.vendor} ${r.account} request ${r.requestId}`,
      description: `Made ${r.requestedAt} by ${r.actor}${r.ticket ? `, ticket ${r.ticket}` : ''}; after this it can no longer be cancelled.`,
      alarm: {
        beforeMs: 86_400_000,
        description: `Cancel window of ${r.vendor} request ${r.requestId} closes in a day`,
      },
    })),
  );
}

export async function deadlinesCommand(o: Record<string, unknown>): Promise<number> {
  const within = o.within === undefined ? undefined : parseSpan(o.within as string);
  if (o.force && !o.ics) throw new UsageError('--force replaces the --ics file; give --ics <file>');
  if (o.ics) checkWritable(o.ics as string, 'the --ics file', Boolean(o.force));
  const { store } = cliRegistry(o);
  let unread = 0;
  try {
    if (o.refresh) {
      const redactor = cliRedactor();
      const accounts = loadAccounts(o.config as string | undefined, accountFlagsOf(o));
      const clients = clientPool(accounts, clientFlagsOf(o));
      const notSent = new Map<string, number>();
      for (const r of await store.open()) {
        try {
          const { status, state } = await clients.readStatus(r.vendor, r.account, r.requestId);
          const change = await store.update(r.vendor, r.account, r.requestId, {
            vendorStatus: status,
            state: REGISTRY_STATE[state] ?? 'open',
          });
          // what the refresh changed is said, request by request: a DPO must see why one left the list
          if (change && change.from !== change.to)
            process.stderr.write(
              `${r.vendor} ${r.account} ${r.requestId}: ${change.from} → ${change.to} (the vendor says ${status}${change.to === 'final' ? ': no longer cancellable' : ''})\n`,
            );
        } catch (err) {
          unread++;
          if (err instanceof AccountHaltedError) {
            notSent.set(r.account, (notSent.get(r.account) ?? 0) + 1);
            continue;
          }
          const f = describeFailure(err, redactor);
          process.stderr.write(`${r.vendor} ${r.account} ${r.requestId}: status not read (${f.error}): ${f.detail}\n`);
        }
      }
      reportHalts(
        clients.halts,
        (account) =>
          `${notSent.get(account) ?? 0} more status read(s) of the account were not sent; their requests are listed as last known`,
      );
    }
    // Streamed from the registry's covering index and written in chunks: 100,000 requests list in well under a
    // second with flat memory (only the calendar keeps its rows).
    const now = Date.now();
    const dated: { request: DeadlineEntry; closes: number }[] = [];
    let count = 0;
    let soon = 0;
    let chunk: string[] = [];
    for await (const r of store.deadlines()) {
      count++;
      const closes = r.windowClosesAt === undefined ? undefined : Date.parse(r.windowClosesAt);
      if (closes !== undefined) {
        if (within !== undefined && closes > now && closes - now <= within) soon++;
        if (o.ics) dated.push({ request: r, closes });
      }
      if (o.json)
        chunk.push(
          JSON.stringify({
            ...r,
            ...(closes === undefined ? { mayStartAnyTime: true } : { windowClosed: closes <= now }),
          }),
        );
      else {
        const window =
          closes === undefined
            ? `may start at any time (made ${age(now - Date.parse(r.requestedAt))} ago)`
            : closes <= now
              ? `window closed ${r.windowClosesAt}`
              : `window closes ${r.windowClosesAt} (in ${age(closes - now)})`;
        chunk.push(
          printable(
            `${r.vendor.padEnd(10)} ${r.account.padEnd(14)} ${r.requestId.padEnd(38)} ${window}${r.vendorStatus ? `  [${r.vendorStatus}]` : ''}${r.ticket ? `  ticket ${r.ticket}` : ''}`,
          ),
        );
      }
      if (chunk.length === 1000) {
        process.stdout.write(`${chunk.join('\n')}\n`);
        chunk = [];
      }
    }
    if (chunk.length) process.stdout.write(`${chunk.join('\n')}\n`);
    // A split cut short may have left people with no deletion scheduled: said on every listing until it is finished.
    const unfinished = await store.unfinishedSplits();
    for (const s of unfinished) {
      const { last, left } = splitProgress(s, undefined);
      process.stderr.write(
        printable(
          `UNFINISHED split of ${s.vendor} ${s.account} ${s.requestId} (stopped after ${last}): ${left || 'nothing was changed yet'}; finish it with cancel --subject <a subject it was for> --split --journal <file>\n`,
        ),
      );
    }
    if (o.ics) {
      writePrivateFile(o.ics as string, deadlineCalendar(dated), 'the --ics file', Boolean(o.force));
      process.stderr.write(`wrote ${dated.length} deadline(s) to ${o.ics}\n`);
    }
    process.stderr.write(
      `${count} open request(s)${within === undefined ? '' : `; ${soon} window(s) close within ${o.within}`}\n`,
    );
    if (unread) process.stderr.write(`${unread} status read(s) failed or were not sent (--refresh): exit 1\n`);
    return soon || unread || unfinished.length ? 1 : 0;
  } finally {
    await store.close();
  }
}
