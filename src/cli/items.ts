/** The requests a command works on: ids given as arguments, or an input file validated whole first. */
import { type CliVendor, checkId, type InputItem, isProblem, readInput, validateInput } from './input.js';
import { needVendor } from './options.js';
import { say } from './terminal.js';
import { openingFile, UsageError } from './usage.js';

export interface PreparedItems {
  total: number;
  repeatedLines: number;
  invalidLinesSkipped: number;
  source: () => AsyncIterable<InputItem>;
  vendorsUsed: Set<CliVendor>;
  /** SHA-256 of the input file as validated (absent for ids given as arguments). */
  inputSha256?: string;
}

/**
 * The requests a command works on: ids given as arguments (with --vendor), or a file validated whole before anything
 * is sent, with problems listed by line and repeated requests kept once. Returns an exit code when it must stop.
 */
export async function prepareItems(ids: string[], o: Record<string, unknown>): Promise<PreparedItems | number> {
  const input = o.input as string | undefined;
  if (input && ids.length) throw new UsageError('give request ids as arguments or --input, not both');
  if (!input && ids.length === 0) throw new UsageError('give at least one request id, or --input <file>');
  if (input) {
    // First pass: validate the whole file before anything is sent, and find repeated requests.
    const { problems, invalid, repeats, distinct, vendors, sha256 } = await openingFile('the input file', input, () =>
      validateInput(input),
    );
    if (invalid) {
      for (const p of problems) say.err(`${input}:${p.line}: ${p.message}`);
      if (invalid > problems.length) process.stderr.write(`… and ${invalid - problems.length} more invalid lines\n`);
      if (!o.skipInvalid) {
        process.stderr.write(`${invalid} invalid line(s); nothing was sent. Fix them or pass --skip-invalid.\n`);
        return 2;
      }
      process.stderr.write(`skipping ${invalid} invalid line(s) (--skip-invalid)\n`);
    }
    if (repeats.size) {
      const shown = [...repeats].slice(0, 20);
      for (const [line, first] of shown)
        process.stderr.write(`${input}:${line}: same request as line ${first}; sent once, reported on line ${first}\n`);
      if (repeats.size > shown.length)
        process.stderr.write(`… and ${repeats.size - shown.length} more repeated lines\n`);
    }
    return {
      total: distinct,
      repeatedLines: repeats.size,
      invalidLinesSkipped: invalid,
      source: async function* () {
        for await (const x of readInput(input)) if (!isProblem(x) && !repeats.has(x.line ?? 0)) yield x;
      },
      vendorsUsed: vendors,
      inputSha256: sha256,
    };
  }
  const vendor = needVendor(o);
  const checked = ids.map((id): string => {
    try {
      return checkId(vendor, id);
    } catch (err) {
      throw new UsageError(`request id ${JSON.stringify(id)}: ${(err as Error).message}`);
    }
  });
  const items = [...new Set(checked)].map((requestId): InputItem => ({ vendor, requestId }));
  if (items.length < checked.length)
    process.stderr.write(`${checked.length - items.length} repeated request id(s) will be sent once\n`);
  return {
    total: items.length,
    repeatedLines: 0,
    invalidLinesSkipped: 0,
    source: async function* () {
      yield* items;
    },
    vendorsUsed: new Set([vendor]),
  };
}
