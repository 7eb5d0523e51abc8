/** Result output: a table for people (progress bar on stderr when it is a terminal) or JSON Lines for programs. */
import cliProgress from 'cli-progress';
import { PrivacyApiError } from '../../core/errors.js';
import type { Redactor } from '../../core/redact.js';
import { printable } from '../terminal.js';
import type { Receipt } from './receipt.js';

/** What a receipt or status line says about a failed call: the error class, its HTTP status, its redacted message. */
export function describeFailure(
  err: unknown,
  redactor: Redactor,
): { error: string; httpStatus: number | undefined; detail: string } {
  const e = err instanceof PrivacyApiError ? err : undefined;
  return { error: e?.name ?? 'Error', httpStatus: e?.status, detail: redactor.string(e?.message ?? String(err)) };
}

const COLUMNS: [string, number, (r: Receipt) => string][] = [
  ['LINE', 6, (r) => (r.line === undefined ? '-' : String(r.line))],
  ['VENDOR', 10, (r) => r.vendor],
  ['ACCOUNT', 14, (r) => r.account],
  ['REQUEST ID', 38, (r) => r.requestId],
  ['OUTCOME', 17, (r) => r.outcome],
  ['VENDOR STATUS', 13, (r) => r.vendorStatus ?? r.verifiedStatus ?? '-'],
  [
    'VERIFIED',
    8,
    (r) => (r.verified === undefined ? '-' : r.verified === 'skipped' ? 'skipped' : r.verified ? 'yes' : 'NO'),
  ],
  ['DETAIL', 0, (r) => (r.resumed ? `(resumed) ${r.detail}` : r.detail)],
];

/** A table cell: vendor text made printable first, so an escape sequence can neither act nor skew the columns. */
const cell = (raw: string, width: number) => {
  const text = printable(raw);
  return width === 0 ? text : text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
};

export interface Reporter {
  receipt(r: Receipt): void;
  finish(): void;
}

export function createReporter(options: {
  json: boolean;
  total?: number | undefined;
  /** Show the ACCOUNT column (accounts from a config file). */
  accounts?: boolean;
}): Reporter {
  const out = process.stdout;
  const columns = options.accounts ? COLUMNS : COLUMNS.filter(([h]) => h !== 'ACCOUNT');
  let bar: cliProgress.SingleBar | undefined;
  if (options.total !== undefined && process.stderr.isTTY && !options.json) {
    bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: ' {bar} {value}/{total} | {rate}/s | ETA {eta_formatted}',
        hideCursor: true,
        clearOnComplete: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(options.total, 0, { rate: '0.0' });
  }
  const started = performance.now();
  let count = 0;
  let headerDone = false;
  const write = (line: string) => {
    if (bar) {
      // keep the bar on its own line below the table
      process.stderr.write('\r\x1b[2K');
    }
    out.write(`${line}\n`);
  };
  return {
    receipt(r) {
      count++;
      if (options.json) out.write(`${JSON.stringify(r)}\n`);
      else {
        if (!headerDone) {
          write(columns.map(([h, w]) => cell(h, w)).join(' '));
          headerDone = true;
        }
        write(columns.map(([, w, f]) => cell(f(r), w)).join(' '));
      }
      bar?.update(count, { rate: (count / ((performance.now() - started) / 1000)).toFixed(1) });
    },
    finish() {
      bar?.stop();
    },
  };
}
