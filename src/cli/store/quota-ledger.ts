/**
 * The CLI's LivePerson quota ledger: a small JSON file (`{"<site>:<yyyy-mm>": count}`), so the monthly count of
 * creates lasts between runs. Default place: $XDG_STATE_HOME/privacy-deletions/ (~/.local/state when unset).
 * Every read is validated: a hand-edited or damaged file is a usage error naming the file, line and key, never a
 * count silently read as 0 or as a negative number.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { QuotaLedger } from '../../liveperson/quota.js';
import { UsageError } from '../usage.js';

export function defaultQuotaLedgerPath(): string {
  const state = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(state, 'privacy-deletions', 'liveperson-quota.json');
}

const LEDGER_KEY = /^[a-zA-Z0-9_]{1,20}:\d{4}-(0[1-9]|1[0-2])$/;

export class FileQuotaLedger implements QuotaLedger {
  constructor(readonly path: string) {}

  #read(): Record<string, number> {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw err;
    }
    return parseLedger(this.path, text);
  }

  get(key: string): number {
    return this.#read()[key] ?? 0;
  }

  /** Written to a temporary file and renamed over the ledger, so a crash never leaves half a file (nor a temp file). */
  set(key: string, count: number): void {
    const all = { ...this.#read(), [key]: count };
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    // A name nobody can guess, opened only if it does not exist and never through a link: a symlink planted in a
    // shared folder under the name cannot make this write land on another file.
    const tmp = `${this.path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      try {
        writeFileSync(fd, `${JSON.stringify(all)}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.path);
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {}
      throw err;
    }
  }
}

/** The ledger's counts, or a UsageError naming the file, the line and what is wrong there. */
export function parseLedger(path: string, text: string): Record<string, number> {
  const problem = (where: string, what: string) =>
    new UsageError(`the LivePerson quota ledger ${path}${where}: ${what}; fix or remove the file`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw problem('', `not valid JSON (${(err as Error).message})`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw problem(':1', 'expected an object of "<site id>:<yyyy-mm>": count');
  const lineOf = (key: string) => {
    const at = text.indexOf(JSON.stringify(key));
    return at < 0 ? '' : `:${text.slice(0, at).split('\n').length}`;
  };
  for (const [key, count] of Object.entries(parsed)) {
    if (!LEDGER_KEY.test(key)) throw problem(lineOf(key), `key ${JSON.stringify(key)} is not "<site id>:<yyyy-mm>"`);
    // a string "100", a number JSON.parse turned into Infinity (1e400), a negative or a fraction is not a count
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0)
      throw problem(
        lineOf(key),
        `the count for ${key} is ${typeof count === 'number' && !Number.isFinite(count) ? 'a number too large to hold' : JSON.stringify(count)}, not a whole number of creates from 0 up`,
      );
  }
  return parsed as Record<string, number>;
}
