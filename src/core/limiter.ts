/**
 * Where request rate limits live: one limiter per vendor credential, shared by every client of it in the process
 * (Mixpanel allows 1 request per second per project). p-queue is loaded on first use through import(), so
 * importing the SDK does not load it (it was a quarter of the bundle).
 */
import type PQueue from 'p-queue';

/** A client-side rate limit: `requests` per `intervalMs`, evenly spaced. */
export interface RateLimitOptions {
  /** Requests allowed per interval (default 1). */
  requests: number;
  /** Interval in ms (default 1000). */
  intervalMs: number;
}

/** Runs each function in turn, starting them no faster than the limit allows; an aborted wait never starts. */
export interface Limiter {
  add<T>(run: () => Promise<T>, options: { signal: AbortSignal }): Promise<T>;
}

class LazyQueue implements Limiter {
  readonly #interval: number;
  #queue: Promise<PQueue> | undefined;
  /**
   * Held until the first request has been answered, plus one interval. The first request to a host also opens the
   * connection, so it reaches the server later after its start than the ones that follow on the open connection;
   * spaced from its start, the second could arrive less than an interval after it (measured: 998 ms at 1/s).
   */
  #afterFirst: Promise<void> | undefined;
  constructor(interval: number) {
    this.#interval = interval;
  }
  async add<T>(run: () => Promise<T>, options: { signal: AbortSignal }): Promise<T> {
    // Every caller awaits the same promises, so they reach the queue in the order they called add(): FIFO is kept.
    this.#queue ??= import('p-queue').then(
      ({ default: Queue }) => new Queue({ intervalCap: 1, interval: this.#interval, strict: true }),
    );
    if (this.#afterFirst === undefined) {
      // set before any await, so that callers arriving meanwhile wait for it too
      const first = this.#queue.then((queue) => queue.add(run, options) as Promise<T>);
      this.#afterFirst = first.then(
        () => pause(this.#interval),
        () => pause(this.#interval),
      );
      return first;
    }
    await Promise.race([this.#afterFirst, aborted(options.signal)]);
    return (await this.#queue).add(run, options) as Promise<T>;
  }
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref?.());

/** Rejects with the signal's reason when it aborts (never settles otherwise). */
const aborted = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });

const limiters = new Map<string, Limiter>();

/** The process-wide limiter for `key` (vendor + credential hash) at this limit, or undefined when limits are off. */
export function sharedLimiter(key: string, limit: RateLimitOptions | false | undefined): Limiter | undefined {
  if (!limit) return undefined;
  if (!(limit.requests >= 1) || !(limit.intervalMs > 0))
    throw new RangeError('rateLimit needs requests >= 1 and intervalMs > 0');
  const fullKey = `${key}:${limit.requests}/${limit.intervalMs}`;
  let limiter = limiters.get(fullKey);
  if (!limiter) {
    // Evenly spaced starts (one per intervalMs/requests, sliding window): never a burst that a vendor's own window
    // could count as too many. Starts spaced exactly still arrive closer than that whenever one request spends a
    // little longer in transit than the next (event-loop and network jitter of a few ms): a strict 1 request/s
    // server then answers 429 (8 in a 90-request run at 1 ms over). So starts keep a margin: 5 % of the spacing,
    // at least 1 ms (p-queue times with Date.now()'s 1 ms steps) and at most 20 ms (2 % at Mixpanel's 1/s).
    const spacing = limit.intervalMs / limit.requests;
    limiter = new LazyQueue(spacing + Math.min(20, Math.max(1, spacing * 0.05)));
    limiters.set(fullKey, limiter);
  }
  return limiter;
}
