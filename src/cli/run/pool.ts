/**
 * The bounded worker pool behind the bulk commands: at most `concurrency` items in flight, pulled lazily from a
 * (streamed) source so memory stays flat. An error from `handle` that is not an item's own outcome (the journal cannot
 * be written, the input became unreadable) stops the pool: no new item is started, the ones in flight finish, and
 * then the first such error is thrown, so nothing is still running when the caller cleans up.
 */
export async function runPool<T>(
  items: AsyncIterable<T>,
  options: { concurrency: number; stop?: AbortSignal | undefined },
  handle: (item: T) => Promise<void>,
): Promise<void> {
  const iterator = items[Symbol.asyncIterator]();
  let done = false;
  const failures: unknown[] = [];
  const next = async (): Promise<T | undefined> => {
    if (done || failures.length || options.stop?.aborted) return undefined;
    const r = await iterator.next();
    if (r.done) done = true;
    return r.done ? undefined : r.value;
  };
  const worker = async () => {
    try {
      for (let item = await next(); item !== undefined; item = await next()) await handle(item);
    } catch (err) {
      failures.push(err);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  if (failures.length) throw failures[0];
}
