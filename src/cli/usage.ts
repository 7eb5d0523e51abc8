/** Usage errors: what the user asked for cannot be done as asked (exit 2, nothing sent). */

export class UsageError extends Error {
  override name = 'UsageError';
}

const FILE_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder',
  ENOTDIR: 'part of the path is not a folder',
  EROFS: 'read-only file system',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'name too long',
};

/**
 * A file the user named that cannot be opened, as a usage error (exit 2) naming what it was for, the path and why,
 * instead of a bare Node error; any other error is returned as it is.
 */
export function fileProblem(what: string, path: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  const why = code ? FILE_ERRORS[code] : undefined;
  return why ? new UsageError(`cannot open ${what} ${path}: ${why} (${code})`) : err;
}

export async function openingFile<T>(what: string, path: string, open: () => T | Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (err) {
    throw fileProblem(what, path, err);
  }
}
