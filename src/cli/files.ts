/**
 * Files the CLI reads whole or writes for the user, handled the same way everywhere. Reads are bounded: a FIFO,
 * a device or a file larger than its purpose allows is refused with its name (before, a FIFO hung the command,
 * /dev/zero grew memory at 0.5 GB/s and a 600 MB file ended in a RangeError naming no file). Writes never follow a
 * symbolic link, never replace a file unless asked, and are owner-only.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  openSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileProblem, UsageError } from './usage.js';

/** How large each kind of file may be. */
export const FILE_LIMITS = {
  /** A secret (`{file}`, `*_FILE`): a token, a key, a password. */
  secret: 16 * 1024,
  /** The config file. */
  config: 1024 * 1024,
  /** A list of subject ids or tracking ids, one a line. */
  list: 64 * 1024 * 1024,
} as const;

const sizeText = (bytes: number) =>
  bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : bytes >= 1024 ? `${bytes / 1024} KiB` : `${bytes} bytes`;

export interface ReadFile {
  text: string;
  /** Permission bits, for callers that warn about files others can read. */
  mode: number;
  uid: number;
}

/**
 * The text of a regular file of at most `maxBytes`, or a UsageError naming `what` and `path`. Opened without blocking
 * (a FIFO would wait for a writer forever) and checked on the open descriptor, so what is read is what was checked.
 */
export function readBoundedFile(path: string, what: string, maxBytes: number): ReadFile {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw fileProblem(what, path, err);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile())
      throw new UsageError(
        `${what} ${path} is not a regular file (${stat.isFIFO() ? 'a pipe' : stat.isCharacterDevice() || stat.isBlockDevice() ? 'a device' : stat.isSocket() ? 'a socket' : 'a folder'})`,
      );
    // Read to one byte past the limit whatever the size says: /proc files report 0 and still hold text.
    const chunks: Buffer[] = [];
    let length = 0;
    while (length <= maxBytes) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, maxBytes + 1 - length));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      length += n;
    }
    if (length > maxBytes)
      throw new UsageError(`${what} ${path} is larger than ${sizeText(maxBytes)}; refusing to read it`);
    const text = Buffer.concat(chunks).toString('utf8');
    return { text, mode: stat.mode & 0o777, uid: stat.uid };
  } catch (err) {
    throw fileProblem(what, path, err);
  } finally {
    closeSync(fd);
  }
}

/** Refuses, before any work is done, a path that {@link writePrivateFile} would refuse to write. */
export function checkWritable(path: string, what: string, overwrite: boolean): void {
  let existing: ReturnType<typeof lstatSync> | undefined;
  try {
    existing = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fileProblem(what, path, err);
  }
  if (existing?.isSymbolicLink())
    throw new UsageError(`${what} ${path} is a symbolic link; refusing to write through it`);
  if (existing && !existing.isFile()) throw new UsageError(`${what} ${path} exists and is not a regular file`);
  if (existing && !overwrite) throw new UsageError(`${what} ${path} exists; give --force to replace it`);
}

/**
 * Writes `text` to `path` owner-only (0600): refused when `path` is a symbolic link or not a regular file, and when
 * it exists unless `overwrite`. Written to a new temporary file beside it (exclusive, no-follow) and renamed into
 * place, so a crash leaves the old file or the new one, and a link planted under the temporary name is never followed.
 */
export function writePrivateFile(path: string, text: string, what: string, overwrite: boolean): void {
  checkWritable(path, what, overwrite);
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {}
    throw fileProblem(what, path, err);
  }
}
