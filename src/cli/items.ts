/** The requests a command works on: ids given as arguments, or an input file validated whole first. */
import type { Accounts } from './accounts/accounts.js';
import {
  type CliVendor,
  checkId,
  type InputItem,
  isProblem,
  type PickAccount,
  readInput,
  validateInput,
} from './input.js';
import { say } from './terminal.js';
import { openingFile, UsageError } from './usage.js';

export interface PreparedItems {
  total: number;
  repeatedLines: number;
  invalidLinesSkipped: number;
  source: () => AsyncIterable<InputItem>;
  vendorsUsed: Set<CliVendor>;
  /** The accounts the requests belong to. */
  accountsUsed: Set<string>;
  /** SHA-256 of the input file as validated (absent for ids given as arguments). */
  inputSha256?: string;
}

/**
 * The requests a command works on: ids given as arguments (with --vendor or --account), or a file validated whole
 * before anything is sent, with problems listed by line and repeated requests kept once; each request's account is
 * the one its line names, else --account, else the vendor's only account. Returns an exit code when it must stop.
 */
export async function prepareItems(
  ids: string[],
  o: Record<string, unknown>,
  accounts: Accounts,
): Promise<PreparedItems | number> {
  const input = o.input as string | undefined;
  const defaultAccount = o.account as string | undefined;
  if (defaultAccount !== undefined) pickAccount(accounts, o.vendor as CliVendor | undefined, defaultAccount);
  const accountOf: PickAccount = (vendor, named) => accounts.pick(vendor, named ?? defaultAccount).name;
  if (input && ids.length) throw new UsageError('give request ids as arguments or --input, not both');
  if (!input && ids.length === 0) throw new UsageError('give at least one request id, or --input <file>');
  if (input) {
    // First pass: validate the whole file before anything is sent, and find repeated requests.
    const { problems, invalid, repeats, distinct, vendors, accounts, sha256 } = await openingFile(
      'the input file',
      input,
      () => validateInput(input, accountOf),
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
        for await (const x of readInput(input, { pickAccount: accountOf }))
          if (!isProblem(x) && !repeats.has(x.line ?? 0)) yield x;
      },
      vendorsUsed: vendors,
      accountsUsed: accounts,
      inputSha256: sha256,
    };
  }
  const vendor =
    (o.vendor as CliVendor | undefined) ?? (defaultAccount ? accounts.get(defaultAccount)?.vendor : undefined);
  if (!vendor)
    throw new UsageError('--vendor (mixpanel or liveperson) or --account is required for ids given as arguments');
  const account = pickAccount(accounts, vendor, defaultAccount);
  const checked = ids.map((id): string => {
    try {
      return checkId(vendor, id);
    } catch (err) {
      throw new UsageError(`request id ${JSON.stringify(id)}: ${(err as Error).message}`);
    }
  });
  const items = [...new Set(checked)].map((requestId): InputItem => ({ vendor, requestId, account }));
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
    accountsUsed: new Set([account]),
  };
}

/** The account named by --account (of this vendor), or the vendor's only account; a UsageError otherwise. */
export function pickAccount(accounts: Accounts, vendor: CliVendor | undefined, name: string | undefined): string {
  try {
    return accounts.pick(vendor, name).name;
  } catch (err) {
    throw new UsageError(`${name === undefined ? '' : '--account: '}${(err as Error).message}`);
  }
}
