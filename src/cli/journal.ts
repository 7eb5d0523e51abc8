/**
 * Crash-safe journal: one JSON line per state change, appended and fsynced before the run moves on, so a run killed
 * at any moment can be resumed. Ids may be replaced by salted HMAC-SHA256 hashes; credentials are never written.
 */
import { createHmac } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';

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
}

/** Another live process holds the journal: two runs appending to one journal would send requests twice. */
export class JournalBusyError extends Error {
  override name = 'JournalBusyError';
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

export class Journal {
  readonly #fd: number;
  readonly #salt: string | undefined;
  readonly #lockPath: string;

  constructor(path: string, salt?: string) {
    this.#lockPath = lock(path);
    // Owner-only: the journal names deletion requests (unless --hash-ids), which is personal-data metadata.
    this.#fd = openSync(path, 'a', 0o600);
    this.#salt = salt;
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
    writeSync(this.#fd, `${JSON.stringify(record)}\n`);
    if (sync) fsyncSync(this.#fd);
  }

  /** Appends a run-framing record (durable at once). */
  writeRun(event: RunEvent, data: Record<string, unknown>): void {
    this.#append({ at: new Date().toISOString(), event, ...data }, true);
  }

  close(): void {
    closeSync(this.#fd);
    unlinkSync(this.#lockPath);
  }
}

export interface JournalState {
  /** vendor:key → the latest final record (a retried `failed` one is replaced by the retry's). */
  final: Map<string, JournalRecord>;
  /** vendor:key of cancels the vendor accepted in any run (a resume verifies these instead of re-sending). */
  accepted: Set<string>;
}

/** Reads a journal for --resume. A torn last line (crash mid-write) is ignored; other bad lines are errors. */
export function readJournal(path: string): JournalState {
  const state: JournalState = { final: new Map(), accepted: new Set() };
  if (!existsSync(path)) return state;
  const lines = readFileSync(path, 'utf8').split('\n');
  lines.forEach((text, i) => {
    if (!text.trim()) return;
    let r: JournalRecord;
    try {
      r = JSON.parse(text) as JournalRecord;
    } catch {
      if (i >= lines.length - 2) return; // torn final write
      throw new Error(`journal ${path} line ${i + 1} is not valid JSON`);
    }
    const k = `${r.vendor}:${r.id}`;
    if (r.event === 'final') state.final.set(k, r);
    if (r.event === 'accepted') state.accepted.add(k);
  });
  return state;
}
