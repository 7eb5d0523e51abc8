/**
 * Lines of a file read as a stream, with a cap on line length. readline keeps a line whole however long it is (one
 * 100 MB line took 258 MB; 700 MB crashed with RangeError), so a line longer than the cap is skipped as it streams
 * by and reported as such, and memory stays bounded by the cap whatever the file holds.
 * Lines end at `\n`, `\r\n` or a lone `\r` (as readline splits them); the text is UTF-8.
 */

/** 64 KiB: far above any real input line (a request id is at most 512 characters) or journal record. */
export const MAX_LINE_BYTES = 64 * 1024;

/** A line that was longer than the cap: only its length so far is known. */
export interface TooLongLine {
  tooLong: true;
  /** Bytes seen before the line ended (at least the cap). */
  bytes: number;
}

export const isTooLong = (line: string | TooLongLine): line is TooLongLine => typeof line !== 'string';

/** Yields each line's text (without its end), or a TooLongLine in its place. */
export async function* boundedLines(
  chunks: AsyncIterable<Buffer>,
  max = MAX_LINE_BYTES,
): AsyncGenerator<string | TooLongLine> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let skipped = -1; // bytes of a too-long line being skipped, or -1
  // A `\r` ending a chunk may be the first half of `\r\n`: the `\n` that may follow ends nothing more.
  let afterCr = false;

  function* finish(): Generator<string | TooLongLine> {
    if (skipped >= 0) yield { tooLong: true, bytes: skipped };
    else yield Buffer.concat(pending, pendingBytes).toString('utf8');
    pending = [];
    pendingBytes = 0;
    skipped = -1;
  }

  for await (const chunk of chunks) {
    let pos = 0;
    if (afterCr && chunk[0] === 0x0a) pos = 1;
    afterCr = false;
    // The next `\r` is looked up once and kept until passed: most files have none, and searching for it from every
    // line would scan the rest of the chunk once per line.
    let cr = -2;
    while (pos < chunk.length) {
      if (cr !== -1 && cr < pos) cr = chunk.indexOf(0x0d, pos);
      const lf = chunk.indexOf(0x0a, pos);
      const end = cr < 0 ? lf : lf < 0 ? cr : Math.min(lf, cr);
      const piece = chunk.subarray(pos, end < 0 ? chunk.length : end);
      if (skipped >= 0) skipped += piece.length;
      else if (pendingBytes + piece.length > max) {
        skipped = pendingBytes + piece.length;
        pending = [];
        pendingBytes = 0;
      } else if (piece.length) {
        pending.push(piece);
        pendingBytes += piece.length;
      }
      if (end < 0) break;
      yield* finish();
      if (chunk[end] === 0x0d) {
        if (end + 1 === chunk.length) afterCr = true;
        else if (chunk[end + 1] === 0x0a) pos = end + 2;
        else pos = end + 1;
        if (afterCr) pos = chunk.length;
      } else pos = end + 1;
    }
  }
  if (pendingBytes > 0 || skipped >= 0) yield* finish();
}
