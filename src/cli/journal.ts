/**
 * Crash-safe journal: one JSON line per state change, appended and fsynced before the run moves on, so a run killed
 * at any moment can be resumed. Ids may be replaced by salted HMAC-SHA256 hashes; credentials are never written.
 * Each record carries `prev`, a digest of the line before it, so an edited, inserted or removed line shows up when
 * the journal is read back (tamper-evident, not tamper-proof: whoever can write the file can rebuild the chain).
 */
import { createHash, createHmac } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  readSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { createInterface } from 'node:readline';

export type JournalEvent = 'queued' | 'sent' | 'accepted' | 'final';
/** Records that frame one run: what ran, on what input, with which settings (no secrets), and how it ended. */
export type RunEvent = 'run-start' | 'run-end';

export interface JournalRecord {
  at: string;
  event: JournalEvent;
  vendor: string;
  /** The request id, or its salted hash with --hash-ids. */
  id: string;
  line?: number;
  outcome?: string;
  vendorStatus?: string;
  httpStatus?: number;
  verified?: boolean | 'skipped';
  error?: string;
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

/**
 * Takes `<journal>.lock` (created exclusively, holding our pid). A lock left by a dead process (a run killed with
 * SIGKILL) is taken over; one held by a live process refuses the run.
 */
function lock(path: string): string {
  const lockPath = `${path}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return lockPath;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder = Number.NaN;
      try {
        holder = Number(readFileSync(lockPath, 'utf8').trim());
      } catch {}
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder))
        throw new JournalBusyError(`journal ${path} is in use by process ${holder} (lock file ${lockPath})`);
      unlinkSync(lockPath); // stale: its process is gone
    }
  }
  throw new JournalBusyError(`journal ${path}: could not take ${lockPath}`);
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
    throw new Error(`journal ${path} has a line longer than 64 KiB; it is not a journal`);
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

  constructor(path: string, salt?: string) {
    this.#path = path;
    this.#lockPath = lock(path);
    try {
      // Owner-only: the journal names deletion requests (unless --hash-ids), which is personal-data metadata.
      this.#fd = openSync(path, 'a+', 0o600);
    } catch (err) {
      unlinkSync(this.#lockPath); // a journal that cannot be opened must not stay locked
      throw err;
    }
    this.#lastDigest = settleTail(this.#fd, path);
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
  /** vendor:key → the latest final record (a retried `failed` one is replaced by the retry's). */
  final: Map<string, JournalRecord>;
  /** vendor:key of cancels the vendor accepted in any run (a resume verifies these instead of re-sending). */
  accepted: Set<string>;
  /** vendor:key → the latest record, when it is not `final`: a run died between steps; --resume settles them. */
  inDoubt: Map<string, JournalRecord>;
  /** runId → its run-start and run-end records, in the order the runs started. */
  runs: Map<string, JournalRun>;
  /**
   * Complete records read; `head`, the digest of the last one (what a run printed when it ended); and the first line
   * whose `prev` is not the digest of the line before it, if any.
   */
  integrity: { records: number; head: string; brokenAtLine?: number };
}

/**
 * Reads a journal (streamed). A torn last line (a crash mid-write) is ignored; a bad line anywhere else is an error
 * naming it.
 */
export async function readJournal(path: string): Promise<JournalState> {
  const state: JournalState = {
    final: new Map(),
    accepted: new Set(),
    inDoubt: new Map(),
    runs: new Map(),
    integrity: { records: 0, head: CHAIN_START },
  };
  const rl = createInterface({
    input: createReadStream(path, { encoding: 'utf8' }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let lineNo = 0;
  let torn: number | undefined;
  let expectedPrev = CHAIN_START;
  for await (const text of rl) {
    lineNo++;
    if (!text.trim()) continue;
    if (torn !== undefined) throw new Error(`journal ${path} line ${torn} is not valid JSON`);
    let r: Omit<JournalRecord, 'event'> & { event: JournalEvent | RunEvent; runId?: string };
    try {
      r = JSON.parse(text);
    } catch {
      torn = lineNo; // fine if it is the last line: a write cut short by a crash
      continue;
    }
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
    const record = r as JournalRecord; // run records were handled above
    const k = `${r.vendor}:${r.id}`;
    if (r.event === 'final') {
      state.final.set(k, record);
      state.inDoubt.delete(k);
    } else state.inDoubt.set(k, record);
    if (r.event === 'accepted') state.accepted.add(k);
  }
  return state;
}
