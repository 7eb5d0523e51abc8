/**
 * Bulk input: CSV (`vendor,request_id`, or any columns named by a header row, `account` among them; quoting read by
 * csv-parse) or JSON Lines (`{"vendor":…,"requestId":…,"account":…}`), read as a stream so memory stays flat however
 * long the file is. Every line is checked with the SDK's own id rules and its account resolved.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { CsvError } from 'csv-parse';
import { parse as parseCsvLine } from 'csv-parse/sync';
import { InvalidInputError } from '../core/errors.js';
import { livePersonRequestId } from '../liveperson/client.js';
import { mixpanelTrackingId } from '../mixpanel/client.js';
import { FILE_LIMITS, readBoundedFile } from './files.js';
import { boundedLines, isTooLong, MAX_LINE_BYTES } from './lines.js';
import { type CliVendor, VENDORS } from './options.js';

export type { CliVendor } from './options.js';

export interface InputItem {
  /** 1-based line in the input file; absent for ids given as arguments. */
  line?: number;
  vendor: CliVendor;
  requestId: string;
  /** The account the request belongs to (named on the line, or the vendor's only account). */
  account: string;
}

/**
 * The account for a line: the one it names, or the default for its vendor; throws an Error naming the problem. The
 * default (without a config file) is the vendor's own environment account, named after the vendor.
 */
export type PickAccount = (vendor: CliVendor, named: string | undefined) => string;
const ENVIRONMENT_ACCOUNT: PickAccount = (vendor, named) => {
  if (named && named !== vendor) throw new Error(`no account ${JSON.stringify(named)} (there is no config file)`);
  return vendor;
};

export interface InputProblem {
  line: number;
  message: string;
}

/**
 * Checks one request id with the SDK's own rules, so a file validates here or not at all. Throws an Error whose
 * message is the problem alone (the SDK's "<vendor> input:" prefix is dropped: the caller says where it was).
 */
export function checkId(vendor: CliVendor, raw: unknown): string {
  const ctx = { vendor, operation: 'input' };
  try {
    return vendor === 'mixpanel' ? mixpanelTrackingId(ctx, raw) : livePersonRequestId(ctx, raw);
  } catch (err) {
    if (err instanceof InvalidInputError) throw new Error(err.message.replace(/^\w+ input: /, ''));
    throw err;
  }
}

const JSON_LINES_HINT = 'the file must be JSON Lines: one {"vendor","requestId"} object per line';

type Fields = { vendor: unknown; requestId: unknown; account?: unknown };

function jsonLine(text: string): Fields {
  // A JSON array export is the likeliest mistake here; say so rather than report a parse error per line.
  if (text.startsWith('[')) throw new Error(`${JSON_LINES_HINT}, not a JSON array`);
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (err) {
    throw new Error(`not valid JSON (${(err as Error).message}); ${JSON_LINES_HINT}`);
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new Error(`expected a JSON object; ${JSON_LINES_HINT}`);
  const r = o as Record<string, unknown>;
  return { vendor: r.vendor, requestId: r.requestId ?? r.request_id, account: r.account };
}

/** Where the two fields are in a CSV file's rows: set by a header row, else the first two of exactly two cells. */
interface CsvColumns {
  vendor: number;
  requestId: number;
  /** -1 when the header names no account column. */
  account: number;
  width: number;
  /** Line of the header that set them. */
  line: number;
}

const VENDOR_HEADER = /^vendor$/i;
const REQUEST_ID_HEADER = /^request[ _]?id$/i;
const ACCOUNT_HEADER = /^account$/i;

/** The columns a header row names (`vendor`, `request_id`, maybe `account`; any case, among others), if it is one. */
function headerColumns(cells: string[], line: number): CsvColumns | undefined {
  const vendor = cells.findIndex((c) => VENDOR_HEADER.test(c));
  const requestId = cells.findIndex((c) => REQUEST_ID_HEADER.test(c));
  const account = cells.findIndex((c) => ACCOUNT_HEADER.test(c));
  return vendor >= 0 && requestId >= 0 ? { vendor, requestId, account, width: cells.length, line } : undefined;
}

const PLAIN_COLUMNS = { vendor: 0, requestId: 1, account: -1, width: 2 };

/** A CSV file's layout: its first row may be a header naming the columns; a later repeat of it is skipped. */
class CsvLayout {
  #columns: CsvColumns | undefined;
  #started = false;

  /** The row's fields, or undefined for a header row. */
  fields(cells: string[], line: number): Fields | undefined {
    const header = headerColumns(cells, line);
    const first = !this.#started;
    this.#started = true;
    if (!header) return csvRecord(cells, this.#columns);
    if (first) this.#columns = header;
    else {
      const { vendor, requestId, account, width } = this.#columns ?? PLAIN_COLUMNS;
      // files joined together repeat their header; one with other columns would be misread
      if (
        header.vendor !== vendor ||
        header.requestId !== requestId ||
        header.account !== account ||
        header.width !== width
      ) {
        const where = this.#columns ? `the header on line ${this.#columns.line}` : 'vendor,request_id';
        throw new Error(`a header with other columns than ${where}`);
      }
    }
    return undefined;
  }
}

/** One CSV row's fields, read from the header's columns, or from a row of exactly `vendor,request_id`. */
function csvRecord(cells: string[], columns: CsvColumns | undefined): Fields {
  const { vendor, requestId, account, width } = columns ?? PLAIN_COLUMNS;
  if (cells.length !== width) {
    const other = cells.length === 1 ? [';', '\t'].find((d) => cells[0]?.includes(d)) : undefined;
    const hint = other
      ? ` (the line is separated by ${other === ';' ? 'semicolons' : 'tabs'}: save the file as comma-separated CSV)`
      : !columns && cells.length > 2
        ? ' (for more columns, start the file with a header row naming vendor and request_id)'
        : '';
    const expected = columns ? `as in the header on line ${columns.line}` : '(vendor,request_id)';
    throw new Error(`expected ${width} comma-separated fields ${expected}, got ${cells.length}${hint}`);
  }
  return { vendor: cells[vendor], requestId: cells[requestId], account: account < 0 ? undefined : cells[account] };
}

/** What a csv-parse quoting error means for someone fixing the file by hand. */
function quotingProblem(err: CsvError): string {
  const doubled = 'quote the whole cell and double any quote inside it ("a""b")';
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quote is never closed (a request id cannot span lines)';
    case 'INVALID_OPENING_QUOTE':
      return `a quote inside an unquoted cell; ${doubled}`;
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return `text follows a closing quote before the next comma; ${doubled}`;
    default:
      return err.message.replace(/ at line \d+/, '');
  }
}

const CSV_OPTIONS = { trim: true, relax_column_count: true } as const;

/**
 * The cells of one CSV line. Quoting (RFC 4180: commas and doubled quotes inside quoted cells) is left to csv-parse;
 * a line without any quote has none, so splitting it at commas is exact and keeps 100,000-line files fast (csv-parse
 * costs ~20 µs a line). Each line is parsed on its own, so a quoting mistake stays one problem on its own line.
 */
function csvCells(text: string): string[] {
  if (!text.includes('"')) return text.split(',').map((c) => c.trim());
  try {
    return parseCsvLine(text, CSV_OPTIONS)[0] ?? [];
  } catch (err) {
    if (err instanceof CsvError) throw new Error(`not valid CSV: ${quotingProblem(err)}`);
    throw err;
  }
}

/** Whether a file's first bytes are a UTF-16 byte-order mark (either byte order). */
const startsUtf16 = (chunk: Buffer) =>
  (chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff);

/**
 * Streams items (or problems) from a file, with 1-based line numbers. Blank lines and `#` comments are skipped.
 * `onBytes` sees the file's raw bytes as they are read (readline decodes them), e.g. to hash it in the same pass.
 */
export async function* readInput(
  path: string,
  options: { onBytes?: (chunk: Buffer) => void; pickAccount?: PickAccount | undefined } = {},
): AsyncGenerator<InputItem | InputProblem> {
  const { onBytes, pickAccount = ENVIRONMENT_ACCOUNT } = options;
  const format = /\.(jsonl|ndjson|json)$/i.test(path) ? 'jsonl' : 'csv';
  let utf16 = false;
  let first = true;
  // Every chunk passes here before it is split into lines: the UTF-16 check sees the first, `onBytes` all of them.
  const chunks = async function* () {
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
      if (first) utf16 = startsUtf16(chunk);
      first = false;
      onBytes?.(chunk);
      yield chunk;
    }
  };
  let line = 0;
  const csv = new CsvLayout();
  for await (const raw of boundedLines(chunks())) {
    if (utf16) {
      // Excel's "Unicode Text" export: read as UTF-8, every line would fail with an unreadable message.
      yield { line: 1, message: 'the file is UTF-16 encoded; save it as UTF-8 (in Excel: "CSV UTF-8")' };
      return;
    }
    line++;
    if (isTooLong(raw)) {
      yield {
        line,
        message: `the line is longer than ${MAX_LINE_BYTES / 1024} KiB (${raw.bytes} bytes or more); a request takes one short line`,
      };
      continue;
    }
    const text = raw.trim(); // also drops a UTF-8 byte-order mark
    if (text === '' || text.startsWith('#')) continue;
    try {
      const parsed = format === 'jsonl' ? jsonLine(text) : csv.fields(csvCells(text), line);
      if (!parsed) continue;
      const vendor = String(parsed.vendor ?? '').toLowerCase();
      if (!(VENDORS as readonly string[]).includes(vendor)) {
        throw new Error(`unknown vendor ${JSON.stringify(parsed.vendor)}; use mixpanel or liveperson`);
      }
      const requestId = checkId(vendor as CliVendor, parsed.requestId);
      if (parsed.account !== undefined && typeof parsed.account !== 'string')
        throw new Error('"account" must be a string (an account name)');
      const account = pickAccount(vendor as CliVendor, parsed.account?.trim() || undefined);
      yield { line, vendor: vendor as CliVendor, requestId, account };
    } catch (err) {
      yield { line, message: (err as Error).message };
    }
  }
}

export const isProblem = (x: InputItem | InputProblem): x is InputProblem => 'message' in x;

export interface InputCheck {
  /** The first 50 problems (enough to show; the rest are counted). */
  problems: InputProblem[];
  invalid: number;
  /** line → the earlier line with the same vendor and request id (sent once, reported on the first). */
  repeats: Map<number, number>;
  /** Distinct valid requests. */
  distinct: number;
  vendors: Set<CliVendor>;
  /** The accounts the valid lines belong to. */
  accounts: Set<string>;
  /** SHA-256 of the file as validated, for the journal's record of which input a run processed. */
  sha256: string;
}

/** FNV-1a over UTF-16 units, folded to the table size: a bucket for a request key. */
function bucketOf(key: string, mask: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) & mask;
}

const requestKey = (x: InputItem) => `${x.vendor}\n${x.account}\n${x.requestId}`;

/**
 * The first pass over a file, before anything is sent: every problem with its line, and repeated requests, found
 * exactly in constant memory per line. Pass one counts each request key into a fixed table of 2^20 one-byte
 * buckets (1 MiB); only when a bucket is hit twice does a second pass keep the keys of lines in such buckets, so a
 * file without repeats costs 1 MiB whatever its length, and one with repeats keeps only the candidates.
 */
export async function validateInput(path: string, pickAccount?: PickAccount): Promise<InputCheck> {
  const MASK = (1 << 20) - 1;
  const hits = new Uint8Array(MASK + 1);
  const problems: InputProblem[] = [];
  const vendors = new Set<CliVendor>();
  const accounts = new Set<string>();
  let valid = 0;
  let invalid = 0;
  let collided = false;
  const hash = createHash('sha256');
  for await (const x of readInput(path, { onBytes: (chunk) => hash.update(chunk), pickAccount })) {
    if (isProblem(x)) {
      if (++invalid <= 50) problems.push(x);
      continue;
    }
    valid++;
    vendors.add(x.vendor);
    accounts.add(x.account);
    const b = bucketOf(requestKey(x), MASK);
    if (hits[b] === 1) collided = true;
    if ((hits[b] as number) < 2) hits[b] = (hits[b] as number) + 1;
  }
  const repeats = new Map<number, number>();
  if (collided) {
    const firstLine = new Map<string, number>(); // candidates only
    for await (const x of readInput(path, { pickAccount })) {
      if (isProblem(x)) continue;
      const key = requestKey(x);
      if (hits[bucketOf(key, MASK)] !== 2) continue;
      const first = firstLine.get(key);
      if (first === undefined) firstLine.set(key, x.line ?? 0);
      else repeats.set(x.line ?? 0, first);
    }
  }
  return { problems, invalid, repeats, distinct: valid - repeats.size, vendors, accounts, sha256: hash.digest('hex') };
}

/**
 * A short list file, one entry a line (subject ids, tracking ids): trimmed, blank lines and `#` comments skipped. An
 * unreadable file is a usage error naming it as `what`.
 */
/** The entries of a list file (one a line; blank lines and # comments skipped), each with its line number. */
export function readListFileLines(path: string, what: string): { text: string; line: number }[] {
  const { text } = readBoundedFile(path, what, FILE_LIMITS.list);
  return text
    .split(/\r?\n/)
    .map((l, i) => ({ text: l.trim(), line: i + 1 }))
    .filter((l) => l.text && !l.text.startsWith('#'));
}

export function readListFile(path: string, what: string): string[] {
  return readListFileLines(path, what).map((l) => l.text);
}
