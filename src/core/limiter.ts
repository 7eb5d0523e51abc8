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
  constructor(interval: number) {
    this.#interval = interval;
  }
  async add<T>(run: () => Promise<T>, options: { signal: AbortSignal }): Promise<T> {
    // Every caller awaits the same promise, so they reach the queue in the order they called add(): FIFO is kept.
    this.#queue ??= import('p-queue').then(
      ({ default: Queue }) => new Queue({ intervalCap: 1, interval: this.#interval, strict: true }),
    );
    return (await this.#queue).add(run, options) as Promise<T>;
  }
}

const limiters = new Map<string, Limiter>();

/** The process-wide limiter for `key` (vendor + credential hash) at this limit, or undefined when limits are off. */
export function sharedLimiter(key: string, limit: RateLimitOptions | false | undefined): Limiter | undefined {
  if (!limit) return undefined;
  if (!(limit.requests >= 1) || !(limit.intervalMs > 0))
    throw new RangeError('rateLimit needs requests >= 1 and intervalMs > 0');
  const fullKey = `${key}:${limit.requests}/${limit.intervalMs}`;
  let limiter = limiters.get(fullKey);
  if (!limiter) {
    // Evenly spaced starts (one per intervalMs/requests, sliding window): never a burst that a vendor's own window,
    // seeing arrivals shifted by network jitter, could count as too many. p-queue times with Date.now(), whose 1 ms
    // steps let two starts come up to 1 ms closer than the spacing; the extra millisecond rules that out.
    limiter = new LazyQueue(limit.intervalMs / limit.requests + 1);
    limiters.set(fullKey, limiter);
  }
  return limiter;
}
