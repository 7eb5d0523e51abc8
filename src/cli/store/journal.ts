/**
 * Crash-safe journal: one JSON line per state change, appended and fsynced before the run moves on, so a run killed
 * at any moment can be resumed. Ids may be replaced by salted HMAC-SHA256 hashes; credentials are never written.
 * Each record carries `prev`, a digest of the line before it, so an edited, inserted or removed line shows up when
 * the journal is read back (tamper-evident, not tamper-proof: whoever can write the file can rebuild the chain).
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  createReadStream,
  fchmodSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  linkSync,
  openSync,
  readSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import type { SplitStep } from '../../store/request-store.js';
import { boundedLines, isTooLong, MAX_LINE_BYTES } from '../lines.js';
import { fileProblem, UsageError } from '../usage.js';

export type JournalEvent = 'queued' | 'sent' | 'accepted' | 'final';
/** Records that frame one run: what ran, on what input, with which settings (no secrets), and how it ended. */
export type RunEvent = 'run-start' | 'run-end';

/**
 * The steps of a split (cancel --subject --split): a request holding other subjects too is replaced by a new one for
 * them, and its own cancelled. `others` is how many; `newId` the new request once the vendor made it.
 */
export type { SplitStep };
export interface SplitRecord {
  at: string;
  event: 'split';
  vendor: string;
  account: string;
  /** The request being split (its salted hash with --hash-ids). */
  id: string;
  step: SplitStep;
  newId?: string;
  others?: number;
  prev?: string;
}

export interface JournalRecord {
  at: string;
  event: JournalEvent;
  vendor: string;
  /** The account the request belongs to (absent in journals of 0.1: read as the vendor's environment account). */
  account?: string;
  /** The request id, or its salted hash with --hash-ids. */
  id: string;
  line?: number;
  outcome?: string;
  vendorStatus?: string;
  httpStatus?: number;
  verified?: boolean | 'skipped';
  error?: string;
  verifyError?: string;
  notSent?: boolean;
  /** Digest of the line before this one (CHAIN_START for the first). */
  prev?: string;
}

/** `prev` of a journal's first record. */
export const CHAIN_START = '0'.repeat(32);
/** The digest a record's successor carries as `prev`: SHA-256 of the line's text, 128 bits in hex. */
export const lineDigest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);

/** Another live process holds the journal: two runs appending to one journal would send requests twice. */
export class JournalBusyError extends Error {
  override name = 'JournalBusyError';
}

/**
 * The path cannot be used as a journal: a symbolic link, not a regular file, a file that is not a journal, or one
 * that others can read and that this user cannot make private. Nothing was written to it.
 */
export class JournalFileError extends Error {
  override name = 'JournalFileError';
}

/** A journal record that is not what this tool writes (a hand edit, another program): named by file and line. */
export class JournalFormatError extends Error {
  override name = 'JournalFormatError';
}

/** The journal could not take a record (disk full, I/O error): the run must stop, since it could no longer prove what it sent. */
export class JournalWriteError extends Error {
  override name = 'JournalWriteError';
  constructor(path: string, cause: unknown) {
    const why = (cause as NodeJS.ErrnoException)?.code ?? (cause as Error)?.message ?? String(cause);
    super(
      `journal ${path} could not be written (${why}); the run stopped and sent nothing it could not record. ` +
        'Free space or fix the file, then run again with --resume',
      { cause },
    );
  }
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
};

/** The pid a lock file holds (NaN when it holds no number), or undefined when the file is gone. */
function lockHolder(lockPath: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(lockPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new JournalFileError(`lock file ${lockPath} is a symbolic link; remove it`);
    throw err;
  }
  try {
    const buf = Buffer.alloc(32);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.subarray(0, n).toString('utf8').trim();
    return /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  } finally {
    closeSync(fd);
  }
}

const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Takes `<journal>.lock` atomically: our pid is written to a file of our own first, which is then hard-linked to
 * the lock name. link() fails if the name exists, so the lock file never exists without a pid in it, and only one
 * process can create it. A lock whose process is gone (a run killed with SIGKILL) is taken over under a second
 * link-made guard (`.lock.takeover`), so two runs that find the same stale lock cannot both replace it: the one
 * holding the guard checks the lock again, removes it only if it is still stale, and links its own; the other
 * finds a live holder when it looks again and is refused. A live holder refuses the run.
 */
function lock(path: string): string {
  const lockPath = `${path}.lock`;
  const mine = `${lockPath}.${process.pid}.${randomBytes(6).toString('hex')}`;
  writeFileSync(mine, String(process.pid), { mode: 0o600, flag: 'wx' });
  const busy = (holder: number) =>
    new JournalBusyError(`journal ${path} is in use by process ${holder} (lock file ${lockPath})`);
  try {
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        linkSync(mine, lockPath);
        return lockPath;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = lockHolder(lockPath);
      if (holder === undefined) continue; // released meanwhile: try again
      if (holder !== process.pid && Number.isInteger(holder) && isAlive(holder)) throw busy(holder);
      if (takeOver(lockPath, mine)) return lockPath;
      pause(2); // another run is taking it over: look again
    }
    throw new JournalBusyError(`journal ${path}: could not take ${lockPath}`);
  } finally {
    unlinkSync(mine);
  }
}

/** Replaces a stale lock with ours while holding the takeover guard; false when the guard or the lock was taken. */
function takeOver(lockPath: string, mine: string): boolean {
  const guard = `${lockPath}.takeover`;
  try {
    linkSync(mine, guard);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // A guard whose process is gone was left by a run killed in the microseconds of a takeover.
    const holder = lockHolder(guard);
    if (holder !== undefined && !(Number.isInteger(holder) && isAlive(holder))) unlinkQuietly(guard);
    return false;
  }
  try {
    // Checked again under the guard: only a takeover removes a lock that exists, and only the guard holder takes over.
    const holder = lockHolder(lockPath);
    if (holder !== undefined) {
      if (holder !== process.pid && Number.isInteger(holder) && isAlive(holder)) return false;
      unlinkSync(lockPath);
    }
    try {
      linkSync(mine, lockPath);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false; // a fresh run took it first
      throw err;
    }
  } finally {
    unlinkQuietly(guard);
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {}
}

const JOURNAL_OPEN_FLAGS = constants.O_RDWR | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW;

/**
 * Opens a journal for appending, refusing what must not be written to: a symbolic link (it would append to, and cut
 * the last line of, whatever it points at), anything but a regular file, and a file whose first line is not a
 * journal record. A journal others can read is made owner-only (0600), or refused when this user cannot.
 */
function openJournalFile(path: string): { fd: number; madePrivate?: number } {
  let fd: number;
  try {
    fd = openSync(path, JOURNAL_OPEN_FLAGS, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP')
      throw new JournalFileError(`journal ${path} is a symbolic link; give the path of the journal itself`);
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new JournalFileError(`journal ${path} is not a regular file`);
    if (st.size > 0) {
      const head = Buffer.alloc(Math.min(st.size, MAX_LINE_BYTES));
      readSync(fd, head, 0, head.length, 0);
      const end = head.indexOf(0x0a);
      const first = head.subarray(0, end < 0 ? head.length : end).toString('utf8');
      if (!isFirstRecord(first))
        throw new JournalFileError(
          `${path} is not a journal (its first line is not a journal record); nothing was written to it. Give a new path or an existing journal`,
        );
    }
    let madePrivate: number | undefined;
    if ((st.mode & 0o077) !== 0) {
      try {
        fchmodSync(fd, 0o600);
        madePrivate = st.mode & 0o777;
      } catch {
        throw new JournalFileError(
          `journal ${path} can be read by others (mode ${(st.mode & 0o777).toString(8)}) and this user cannot make it owner-only; it names deletion requests`,
        );
      }
    }
    return madePrivate === undefined ? { fd } : { fd, madePrivate };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** Whether a line is the first record of a journal: a JSON record that starts the chain. */
function isFirstRecord(text: string): boolean {
  try {
    const r = JSON.parse(text) as Record<string, unknown> | null;
    return recordProblem(r) === undefined && (r as Record<string, unknown>).prev === CHAIN_START;
  } catch {
    return false;
  }
}

/**
 * Readies a journal for appending and returns the digest of its last complete line, for the next record's `prev`.
 * A run killed mid-write can leave a last line without its newline. Appending after it would bury a broken line in
 * the middle of the journal, so it is cut off first: it was never complete, and the step it began is redone by the
 * resume (an unfinished 'sent' is re-sent, which cancel tolerates; an unfinished 'final' is decided again).
 */
function settleTail(fd: number, path: string): string {
  const size = fstatSync(fd).size;
  if (size === 0) return CHAIN_START;
  const window = Math.min(size, 1 << 16);
  const tail = Buffer.alloc(window);
  readSync(fd, tail, 0, window, size - window);
  const end = tail.lastIndexOf(0x0a); // the newline that ends the last complete line
  // (a negative offset would make lastIndexOf search from the end again)
  const start = end <= 0 ? 0 : tail.lastIndexOf(0x0a, end - 1) + 1;
  if (start === 0 && window < size)
    throw new JournalFileError(`journal ${path} has a line longer than 64 KiB; it is not a journal`);
  if (end < window - 1) ftruncateSync(fd, size - window + end + 1);
  return end < 0 ? CHAIN_START : lineDigest(tail.subarray(start, end).toString('utf8'));
}

export class Journal {
  readonly #fd: number;
  readonly #salt: string | undefined;
  readonly #lockPath: string;
  readonly #path: string;
  #broken: JournalWriteError | undefined;
  #lastDigest: string;
  /**
   * How ids are written: `plain`, or `hmac-sha256:` and a fingerprint of the salt (an HMAC of a fixed text, which says
   * nothing about any id). A resume must use the same scheme, or it would not recognise a single finished request.
   */
  readonly idScheme: string;

  /** Set when an existing journal others could read was made owner-only: its mode before. */
  readonly madePrivateFrom: number | undefined;

  constructor(path: string, salt?: string) {
    this.#path = path;
    this.#lockPath = lock(path);
    try {
      // Owner-only: the journal names deletion requests (unless --hash-ids), which is personal-data metadata.
      const opened = openJournalFile(path);
      this.#fd = opened.fd;
      this.madePrivateFrom = opened.madePrivate;
    } catch (err) {
      unlinkSync(this.#lockPath); // a journal that cannot be opened must not stay locked
      throw err;
    }
    try {
      this.#lastDigest = settleTail(this.#fd, path);
    } catch (err) {
      this.close();
      throw err;
    }
    this.#salt = salt;
    this.idScheme = salt
      ? `hmac-sha256:${createHmac('sha256', salt).update('privacy-deletions id scheme').digest('hex').slice(0, 12)}`
      : 'plain';
  }

  /** Why `state` (read for --resume) cannot be resumed with this journal's id scheme, or undefined when it can. */
  resumeConflict(state: JournalState): string | undefined {
    const earlier = [...state.runs.values()].findLast((r) => typeof r.start?.idScheme === 'string')?.start?.idScheme;
    if (earlier === undefined || earlier === this.idScheme) return undefined;
    const how =
      earlier === 'plain'
        ? 'without --hash-ids'
        : this.idScheme === 'plain'
          ? 'with --hash-ids'
          : 'with a different --hash-salt';
    return `--resume: this journal's ids were written ${how}; resume with the same --hash-ids and salt as before`;
  }

  key(vendor: string, id: string): string {
    return this.#salt
      ? `hmac:${createHmac('sha256', this.#salt).update(`${vendor}:${id}`).digest('hex').slice(0, 32)}`
      : id;
  }

  /** Appends a record; with `sync` (the default) it is on disk before this returns. */
  write(record: Omit<JournalRecord, 'at'>, { sync = true }: { sync?: boolean } = {}): void {
    this.#append({ at: new Date().toISOString(), ...record }, sync);
  }

  #append(record: object, sync: boolean): void {
    // After a failed write nothing more is appended: a record after a torn one would make the journal unreadable.
    if (this.#broken) throw this.#broken;
    try {
      const text = JSON.stringify({ ...record, prev: this.#lastDigest });
      const line = Buffer.from(`${text}\n`);
      // A short write (the disk filled mid-line) is continued; the next write then fails with the real cause.
      for (let done = 0; done < line.length; ) {
        const n = writeSync(this.#fd, line, done);
        if (n <= 0) throw new Error(`short write, ${done} of ${line.length} bytes`);
        done += n;
      }
      if (sync) fsyncSync(this.#fd);
      this.#lastDigest = lineDigest(text);
    } catch (err) {
      this.#broken = new JournalWriteError(this.#path, err);
      throw this.#broken;
    }
  }

  /** Appends a split step (durable at once). */
  writeSplit(record: Omit<SplitRecord, 'at' | 'event' | 'prev'>): void {
    // the new request is named like every other: hashed with --hash-ids (resume finds it again in the registry)
    const newId = record.newId === undefined ? {} : { newId: this.key(record.vendor, record.newId) };
    this.#append({ at: new Date().toISOString(), event: 'split', ...record, ...newId }, true);
  }

  /** Appends a run-framing record (durable at once). */
  writeRun(event: RunEvent, data: Record<string, unknown>): void {
    this.#append({ at: new Date().toISOString(), event, ...data }, true);
  }

  /** Digest of the last record written: kept outside the journal, it shows whether the end was later changed. */
  get head(): string {
    return this.#lastDigest;
  }

  close(): void {
    closeSync(this.#fd);
    unlinkSync(this.#lockPath);
  }
}

export interface JournalRun {
  start?: Record<string, unknown>;
  /** Absent when the run was killed (or is still going). */
  end?: Record<string, unknown>;
}

export interface JournalState {
  /** requestKey → the latest final record (a retried `failed` one is replaced by the retry's). */
  final: Map<string, JournalRecord>;
  /** requestKey of cancels the vendor accepted in any run (a resume verifies these instead of re-sending). */
  accepted: Set<string>;
  /** requestKey → the latest record, when it is not `final`: a run died between steps; --resume settles them. */
  inDoubt: Map<string, JournalRecord>;
  /** requestKey → the steps of its split, in order (cancel --subject --split). */
  splits: Map<string, SplitRecord[]>;
  /** runId → its run-start and run-end records, in the order the runs started. */
  runs: Map<string, JournalRun>;
  /**
   * Complete records read; `head`, the digest of the last one (what a run printed when it ended); and the first line
   * whose `prev` is not the digest of the line before it, if any.
   */
  integrity: { records: number; head: string; brokenAtLine?: number };
}

/**
 * How a request is known across a journal's runs: vendor, account and id (two LivePerson sites can both have a
 * request 1001). A record without an account (journals of 0.1) belongs to the vendor's environment account.
 */
export const requestKey = (vendor: string, account: string | undefined, id: string) =>
  `${vendor}:${account ?? vendor}:${id}`;

const EVENTS = new Set(['queued', 'sent', 'accepted', 'final', 'run-start', 'run-end', 'split']);
const SPLIT_STEPS = new Set(['planned', 'cancel-sent', 'cancel-accepted', 'create-sent', 'created', 'done']);
const isString = (v: unknown) => typeof v === 'string' && v !== '';

/** What is wrong with a parsed journal line, or undefined when it is a record this tool writes. */
function recordProblem(r: unknown): string | undefined {
  if (r === null || typeof r !== 'object' || Array.isArray(r)) return 'not a journal record (expected a JSON object)';
  const o = r as Record<string, unknown>;
  if (!EVENTS.has(o.event as string)) return `unknown event ${JSON.stringify(o.event)}`;
  if (!isString(o.at) || Number.isNaN(Date.parse(o.at as string))) return '"at" is not a time';
  if (typeof o.prev !== 'string' || !/^[0-9a-f]{32}$/.test(o.prev)) return '"prev" is not a record digest';
  if (o.event === 'run-start' || o.event === 'run-end') return isString(o.runId) ? undefined : '"runId" is missing';
  if (!isString(o.vendor) || !isString(o.id)) return '"vendor" or "id" is missing';
  if (o.account !== undefined && !isString(o.account)) return '"account" is not an account name';
  if (o.line !== undefined && !Number.isSafeInteger(o.line)) return '"line" is not a line number';
  if (o.event === 'final' && !isString(o.outcome)) return 'a final record without an outcome';
  if (o.event === 'split' && !SPLIT_STEPS.has(o.step as string)) return `unknown split step ${JSON.stringify(o.step)}`;
  return undefined;
}

/**
 * Reads a journal (streamed, lines capped at 64 KiB). A torn last line (a crash mid-write) is ignored; a line that
 * is not valid JSON anywhere else, or any record that is not what this tool writes, is a JournalFormatError naming
 * the file and line.
 */
export async function readJournal(path: string): Promise<JournalState> {
  const state: JournalState = {
    final: new Map(),
    accepted: new Set(),
    inDoubt: new Map(),
    splits: new Map(),
    runs: new Map(),
    integrity: { records: 0, head: CHAIN_START },
  };
  const bad = (line: number, what: string) => new JournalFormatError(`journal ${path} line ${line}: ${what}`);
  const stream = createReadStream(path);
  let lineNo = 0;
  let torn: number | undefined;
  let expectedPrev = CHAIN_START;
  for await (const text of boundedLines(stream as AsyncIterable<Buffer>)) {
    lineNo++;
    if (isTooLong(text)) throw bad(lineNo, `longer than ${MAX_LINE_BYTES / 1024} KiB; not a journal record`);
    if (!text.trim()) continue;
    if (torn !== undefined) throw bad(torn, 'not valid JSON');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      torn = lineNo; // fine if it is the last line: a write cut short by a crash
      continue;
    }
    const problem = recordProblem(parsed);
    if (problem) throw bad(lineNo, problem);
    const r = parsed as Omit<JournalRecord, 'event'> & { event: JournalEvent | RunEvent | 'split'; runId?: string };
    state.integrity.records++;
    if (r.prev !== expectedPrev) state.integrity.brokenAtLine ??= lineNo;
    expectedPrev = lineDigest(text);
    state.integrity.head = expectedPrev;
    if (r.event === 'run-start' || r.event === 'run-end') {
      const run = state.runs.get(String(r.runId)) ?? {};
      run[r.event === 'run-start' ? 'start' : 'end'] = r;
      state.runs.set(String(r.runId), run);
      continue;
    }
    if (r.event === 'split') {
      const k = requestKey(r.vendor, r.account, r.id);
      state.splits.set(k, [...(state.splits.get(k) ?? []), r as unknown as SplitRecord]);
      continue;
    }
    const record = r as JournalRecord; // run records were handled above
    const k = requestKey(r.vendor, r.account, r.id);
    if (r.event === 'final') {
      state.final.set(k, record);
      state.inDoubt.delete(k);
    } else state.inDoubt.set(k, record);
    if (r.event === 'accepted') state.accepted.add(k);
  }
  return state;
}

/**
 * Reads a journal, turning what makes it unusable (a record that is not a journal record, a file that cannot be
 * opened) into a usage error naming the file and line.
 */
export async function journalProblem<T>(path: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof JournalFormatError) throw new UsageError(err.message);
    throw fileProblem('the journal', path, err);
  }
}
