/**
 * Bulk input: CSV (`vendor,request_id`, optional header) or JSON Lines (`{"vendor":…,"requestId":…}`), read as a
 * stream so memory stays flat however long the file is. Every line is checked with the SDK's own id rules.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { InvalidInputError } from '../core/errors.js';
import { livePersonRequestId } from '../liveperson/client.js';
import { mixpanelTrackingId } from '../mixpanel/client.js';

export type CliVendor = 'mixpanel' | 'liveperson';
export const VENDORS: readonly CliVendor[] = ['mixpanel', 'liveperson'];

export interface InputItem {
  /** 1-based line in the input file; absent for ids given as arguments. */
  line?: number;
  vendor: CliVendor;
  requestId: string;
}

export interface InputProblem {
  line: number;
  message: string;
}

/** Checks one request id with the SDK's own rules, so a file validates here or not at all. */
export function checkId(vendor: CliVendor, raw: unknown): string {
  const ctx = { vendor, operation: 'input' };
  return vendor === 'mixpanel' ? mixpanelTrackingId(ctx, raw) : livePersonRequestId(ctx, raw);
}

function parseLine(text: string, format: 'csv' | 'jsonl'): { vendor: unknown; requestId: unknown } | 'skip' {
  if (format === 'jsonl') {
    const o = JSON.parse(text) as Record<string, unknown>;
    if (!o || typeof o !== 'object' || Array.isArray(o)) throw new Error('expected a JSON object');
    return { vendor: o.vendor, requestId: o.requestId ?? o.request_id };
  }
  const cells = text.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
  if (cells.length !== 2) throw new Error(`expected 2 comma-separated fields (vendor,request_id), got ${cells.length}`);
  if (/^vendor$/i.test(cells[0] ?? '') && /^request_?id$/i.test(cells[1] ?? '')) return 'skip';
  return { vendor: cells[0], requestId: cells[1] };
}

/** Streams items (or problems) from a file, with 1-based line numbers. Blank lines and `#` comments are skipped. */
export async function* readInput(path: string): AsyncGenerator<InputItem | InputProblem> {
  const format = /\.(jsonl|ndjson|json)$/i.test(path) ? 'jsonl' : 'csv';
  const rl = createInterface({
    input: createReadStream(path, { encoding: 'utf8' }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let line = 0;
  for await (const raw of rl) {
    line++;
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) continue;
    try {
      const parsed = parseLine(text, format);
      if (parsed === 'skip') continue;
      const vendor = String(parsed.vendor ?? '').toLowerCase();
      if (!(VENDORS as readonly string[]).includes(vendor)) {
        throw new Error(`unknown vendor ${JSON.stringify(parsed.vendor)}; use mixpanel or liveperson`);
      }
      const requestId = checkId(vendor as CliVendor, parsed.requestId);
      yield { line, vendor: vendor as CliVendor, requestId };
    } catch (err) {
      const message =
        err instanceof InvalidInputError ? err.message.replace(/^\w+ input: /, '') : (err as Error).message;
      yield { line, message };
    }
  }
}

export const isProblem = (x: InputItem | InputProblem): x is InputProblem => 'message' in x;

export interface InputCheck {
  problems: InputProblem[];
  /** line → the earlier line with the same vendor and request id (sent once, reported on the first). */
  repeats: Map<number, number>;
  /** Distinct valid requests. */
  distinct: number;
  vendors: Set<CliVendor>;
}

/**
 * The first pass over a file, before anything is sent: every problem with its line, and repeated requests. Keeps one
 * key per distinct request while it runs (the only per-line memory of a bulk run), and drops them when done.
 */
export async function validateInput(path: string): Promise<InputCheck> {
  const problems: InputProblem[] = [];
  const firstLine = new Map<string, number>();
  const repeats = new Map<number, number>();
  const vendors = new Set<CliVendor>();
  for await (const x of readInput(path)) {
    if (isProblem(x)) problems.push(x);
    else {
      const key = `${x.vendor}\n${x.requestId}`;
      const first = firstLine.get(key);
      if (first === undefined) firstLine.set(key, x.line ?? 0);
      else repeats.set(x.line ?? 0, first);
      vendors.add(x.vendor);
    }
  }
  return { problems, repeats, distinct: firstLine.size, vendors };
}
