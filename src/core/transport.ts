/**
 * Where every HTTP attempt happens: authorisation, User-Agent, rate limiting, per-attempt deadlines, retries with
 * backoff that honour Retry-After, and the request log hook. openapi-fetch has none of this (toolchain.md §1.8), so
 * it lives in the `fetch` handed to each openapi-fetch call; each attempt is one `fetch(url, init)`.
 */
import PQueue from 'p-queue';
import {
  AbortedError,
  ConnectionError,
  type ErrorDetails,
  type PrivacyApiError,
  TimeoutError,
  type Vendor,
} from './errors.js';
import { asOutgoing, type OutgoingRequest, type RequestFetch } from './openapi-client.js';
import type { Redactor } from './redact.js';
import { type CallOptions, defaultErrorForStatus, type Operation, type StatusHints } from './request.js';
import { USER_AGENT } from './version.js';

/** What the optional `logger` hook sees for every attempt. Nothing in it is secret. */
export interface RequestLogEntry {
  vendor: Vendor;
  operation: string;
  method: string;
  /** URL with credentials and the `token` query parameter redacted. */
  url: string;
  attempt: number;
  /** HTTP status, or undefined when no response arrived. */
  status: number | undefined;
  durationMs: number;
  /** Set when the attempt failed without a response (connection error, timeout). */
  error?: string;
  /** Set when another attempt follows: how long the SDK waits before it. */
  retryInMs?: number;
}

export type RequestLogger = (entry: RequestLogEntry) => void;

export interface RetryOptions {
  /** Retries after the first attempt (default 2). 0 disables retrying. */
  maxRetries?: number;
  /** First backoff step in ms (default 500); doubles per retry. */
  baseDelayMs?: number;
  /** Longest backoff in ms (default 8000). */
  maxDelayMs?: number;
  /** A Retry-After longer than this (ms, default 60000) is not waited for: the error is raised instead. */
  maxRetryAfterMs?: number;
}

export interface RateLimitOptions {
  /** Requests allowed per interval (default 1). */
  requests: number;
  /** Interval in ms (default 1000). */
  intervalMs: number;
}

/** Options shared by both vendor clients. */
export interface ClientOptions extends RetryOptions {
  /** Base URL override (tests, proxies). https only, or http to a loopback address. */
  baseUrl?: string;
  /** fetch implementation; looked up at call time, so test doubles installed later still apply. */
  fetch?: typeof fetch;
  /** Deadline per HTTP attempt in ms, including time queued for the rate limiter (default 30000). */
  timeoutMs?: number;
  /** Called once per HTTP attempt with redacted data. */
  logger?: RequestLogger;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_RETRIES = 2;
const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

export interface TransportConfig extends ClientOptions {
  vendor: Vendor;
  redactor: Redactor;
  /** Sets credentials on an outgoing request's headers (runs per attempt, so OAuth 1.0 nonces are fresh). */
  authorize: (request: OutgoingRequest) => void;
  /** Shared limiter for this credential, if the vendor has a request rate limit. */
  limiter?: PQueue | undefined;
  /** Vendor-specific status mapping; falls back to the shared one. */
  errorForStatus?: (details: ErrorDetails & { status: number }) => PrivacyApiError | undefined;
  /** What a status most likely means at this vendor, added to its error message. */
  statusHints?: StatusHints;
  /** Statuses that must never be retried for this vendor, beyond the defaults (LivePerson 429 is a quota). */
  nonRetryableStatus?: readonly number[];
}

/** Per-call extras accepted by every operation on top of signal and timeout. */
export interface ExchangeOptions extends CallOptions {
  /** Operations that create things are retried only when the vendor says nothing was processed (429). */
  idempotent?: boolean;
}

export interface Exchange {
  fetch: RequestFetch;
  details(): Pick<ErrorDetails, 'attempts' | 'request'>;
  /** Clears the deadline timer once the response has been read, so none outlives its call. */
  dispose(): void;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Parses Retry-After (delta seconds or HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Exponential backoff with up to 25 % negative jitter: 500, 1000, 2000 … capped at maxDelayMs. */
export function backoffDelay(retry: number, baseDelayMs: number, maxDelayMs: number, random = Math.random): number {
  const raw = Math.min(baseDelayMs * 2 ** retry, maxDelayMs);
  return Math.round(raw * (1 - 0.25 * random()));
}

/** A process-wide limiter per key (vendor + credential hash), so every client for one project shares it. */
const limiters = new Map<string, PQueue>();
export function sharedLimiter(key: string, limit: RateLimitOptions | false | undefined): PQueue | undefined {
  if (!limit) return undefined;
  if (!(limit.requests >= 1) || !(limit.intervalMs > 0))
    throw new RangeError('rateLimit needs requests >= 1 and intervalMs > 0');
  const fullKey = `${key}:${limit.requests}/${limit.intervalMs}`;
  let limiter = limiters.get(fullKey);
  if (!limiter) {
    // Evenly spaced starts (one per intervalMs/requests, sliding window): never a burst that a vendor's own window,
    // seeing arrivals shifted by network jitter, could count as too many. p-queue times with Date.now(), whose 1 ms
    // steps let two starts come up to 1 ms closer than the spacing; the extra millisecond rules that out.
    limiter = new PQueue({ intervalCap: 1, interval: limit.intervalMs / limit.requests + 1, strict: true });
    limiters.set(fullKey, limiter);
  }
  return limiter;
}

export class Transport {
  readonly redactor: Redactor;
  readonly #config: TransportConfig;
  readonly #nonRetryable: ReadonlySet<number>;

  constructor(config: TransportConfig) {
    this.redactor = config.redactor;
    this.#config = config;
    this.#nonRetryable = new Set(config.nonRetryableStatus ?? []);
  }

  errorForStatus(details: ErrorDetails & { status: number }): PrivacyApiError {
    return this.#config.errorForStatus?.(details) ?? defaultErrorForStatus(details, this.#config.statusHints);
  }

  /** A fetch for one operation call: it retries inside and records what was sent for error reports. */
  exchange(op: Operation, options: ExchangeOptions | undefined): Exchange {
    const cfg = this.#config;
    const timeoutMs = options?.timeoutMs ?? cfg.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const maxRetries = options?.maxRetries ?? cfg.maxRetries ?? DEFAULT_MAX_RETRIES;
    const idempotent = options?.idempotent ?? true;
    const baseDelayMs = cfg.baseDelayMs ?? 500;
    const maxDelayMs = cfg.maxDelayMs ?? 8000;
    const maxRetryAfterMs = cfg.maxRetryAfterMs ?? 60_000;
    const nonRetryable = this.#nonRetryable;
    let attempts = 0;
    // The deadline timer of the latest attempt; an earlier attempt's is cleared when the next one starts (its
    // response was discarded), and the last one's by dispose() once the body has been read.
    let timer: NodeJS.Timeout | undefined;
    let sentUrl: string | undefined;
    let sentMethod = '';
    // Redacting is deferred until something reads it: the hot path only keeps the raw URL.
    const details = () => ({
      attempts,
      request: sentUrl ? { method: sentMethod, url: this.redactor.url(sentUrl) } : undefined,
    });
    const fail = (Kind: typeof ConnectionError | typeof AbortedError, message: string, cause?: unknown) =>
      new Kind(`${op.vendor} ${op.operation}: ${message}`, {
        ...op,
        ...details(),
        cause: cause === undefined ? undefined : this.redactor.string(String(cause)),
      });

    type Logged = (status: number | undefined, extra?: Partial<RequestLogEntry>) => void;
    interface AttemptResult {
      response?: Response;
      failure?: PrivacyApiError;
      log: Logged;
    }

    const attempt = async (request: OutgoingRequest): Promise<AttemptResult> => {
      attempts += 1;
      const attemptNo = attempts;
      const started = performance.now();
      const controller = new AbortController();
      const deadline = controller.signal;
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(new DOMException('deadline', 'TimeoutError')), timeoutMs);
      const signal = options?.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
      cfg.authorize(request);
      request.headers.set('user-agent', USER_AGENT);
      sentUrl = request.url;
      sentMethod = request.method;
      const log: Logged = (status, extra = {}) =>
        cfg.logger?.({
          vendor: op.vendor,
          operation: op.operation,
          method: request.method,
          url: this.redactor.url(request.url),
          attempt: attemptNo,
          status,
          durationMs: Math.round(performance.now() - started),
          ...extra,
        });
      const baseFetch = cfg.fetch ?? globalThis.fetch;
      try {
        const run = () =>
          baseFetch(request.url, { method: request.method, headers: request.headers, body: request.body, signal });
        const response = cfg.limiter ? await cfg.limiter.add(run, { signal }) : await run();
        return { response, log };
      } catch (err) {
        const failure = options?.signal?.aborted
          ? fail(AbortedError, 'aborted by the caller', err)
          : deadline.aborted
            ? fail(TimeoutError, `no response within ${timeoutMs} ms (attempt ${attemptNo})`, err)
            : fail(ConnectionError, `connection failed (attempt ${attemptNo}): ${describe(err)}`, err);
        return { failure, log };
      }
    };

    /** How long to wait before the next attempt, or undefined when this result is final. */
    const retryDelay = (retry: number, { response, failure }: AttemptResult): number | undefined => {
      if (retry >= maxRetries || failure instanceof AbortedError) return undefined;
      // A request that may have reached the vendor is re-sent only for idempotent operations.
      if (failure) return idempotent ? backoffDelay(retry, baseDelayMs, maxDelayMs) : undefined;
      const status = response?.status ?? 0;
      if (!RETRYABLE_STATUS.has(status) || nonRetryable.has(status)) return undefined;
      if (!idempotent && status !== 429) return undefined;
      const retryAfter = parseRetryAfter(response?.headers.get('retry-after') ?? null);
      if (retryAfter === undefined) return backoffDelay(retry, baseDelayMs, maxDelayMs);
      return retryAfter <= maxRetryAfterMs ? retryAfter : undefined;
    };

    const fetchWithRetries: RequestFetch = async (input) => {
      const request = asOutgoing(input);
      for (let retry = 0; ; retry++) {
        const result = await attempt(request);
        const waitMs = retryDelay(retry, result);
        if (cfg.logger) {
          result.log(result.response?.status, {
            ...(result.failure ? { error: result.failure.name } : {}),
            ...(waitMs === undefined ? {} : { retryInMs: waitMs }),
          });
        }
        if (waitMs === undefined) {
          if (result.failure) throw result.failure;
          return result.response as Response;
        }
        await result.response?.body?.cancel().catch(() => {});
        try {
          await sleep(waitMs, options?.signal);
        } catch (err) {
          throw fail(AbortedError, 'aborted by the caller while waiting to retry', err);
        }
      }
    };

    return { fetch: fetchWithRetries, details, dispose: () => clearTimeout(timer) };
  }
}

function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err);
}
