/**
 * Where every HTTP attempt happens: authorisation, User-Agent, rate limiting, per-attempt deadlines, retries with
 * backoff that honour Retry-After, and the request log hook. openapi-fetch has none of this (toolchain.md §1.8), so
 * it lives in the `fetch` handed to each openapi-fetch call; each attempt is one `fetch(url, init)`.
 * Each attempt also reads the whole body, under the same deadline and up to a size cap, and refuses redirects:
 * a body that never ends, drips past the deadline or is cut off is that attempt's failure, not the parser's.
 */
import {
  AbortedError,
  ApiStatusError,
  ConnectionError,
  type ErrorDetails,
  type PrivacyApiError,
  TimeoutError,
  type Vendor,
} from './errors.js';
import {
  type CallOptions,
  defaultErrorForStatus,
  headersObject,
  type Operation,
  requestIdOf,
  type StatusHints,
} from './exchange.js';
import * as guard from './guards.js';
import type { Limiter } from './limiter.js';
import { asOutgoing, type OutgoingRequest, type RequestFetch, readResponse } from './openapi-client.js';
import type { Redactor } from './redact.js';
import { type Answer, fetchSender, type Send, undiciSend } from './send.js';
import { USER_AGENT } from './version.js';

/** What the optional `logger` hook sees for every attempt. Nothing in it is secret. */
export interface RequestLogEntry {
  /** Which vendor. */
  vendor: Vendor;
  /** The SDK operation, e.g. `cancelDeletion`. */
  operation: string;
  /** HTTP method. */
  method: string;
  /** URL with credentials and the `token` query parameter redacted. */
  url: string;
  /** 1 for the first attempt, then 2, 3 … */
  attempt: number;
  /** HTTP status, or undefined when no response arrived. */
  status: number | undefined;
  /** How long the attempt took, including time queued for the rate limiter. */
  durationMs: number;
  /** Set when the attempt failed without a response (connection error, timeout). */
  error?: string;
  /** Set when another attempt follows: how long the SDK waits before it. */
  retryInMs?: number;
}

/** The `logger` hook: called once per HTTP attempt with redacted data. */
export type RequestLogger = (entry: RequestLogEntry) => void;

/** How failed attempts are retried (connection errors, timeouts, 408, Mixpanel 429, 5xx; never 4xx refusals). */
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

/** Options shared by both vendor clients. */
export interface ClientOptions extends RetryOptions {
  /** Base URL override (tests, proxies). https only, or http to a loopback address. */
  baseUrl?: string;
  /** A fetch implementation to send through instead of undici's request() (a proxy agent, a test double). */
  fetch?: typeof fetch;
  /** Deadline per HTTP attempt in ms, including time queued for the rate limiter (default 30000). */
  timeoutMs?: number;
  /** Called once per HTTP attempt with redacted data. */
  logger?: RequestLogger;
  /**
   * Largest response body read, in bytes (default 1 MiB). A longer one is not read further: an error keeps a short
   * preview of it, and a 2xx that long is an ApiStatusError (neither vendor sends anything near this size).
   */
  maxResponseBytes?: number;
}

/** Deadline per HTTP attempt unless `timeoutMs` says otherwise: 30 s. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Retries after the first attempt unless `maxRetries` says otherwise. */
export const DEFAULT_MAX_RETRIES = 2;
/** Largest response body read unless `maxResponseBytes` says otherwise: 1 MiB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 1 << 20;
/** How much of an over-long error body is kept on the error. */
const PREVIEW_CHARS = 2048;
const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

export interface TransportConfig extends ClientOptions {
  vendor: Vendor;
  redactor: Redactor;
  /** Sets credentials on an outgoing request's headers (runs per attempt, so OAuth 1.0 nonces are fresh). */
  authorize: (request: OutgoingRequest) => void | Promise<void>;
  /** Told of every request the vendor answered 401, with the credentials it carried (to retire a token). */
  onUnauthorized?: ((request: OutgoingRequest) => void) | undefined;
  /** Shared limiter for this credential, if the vendor has a request rate limit. */
  limiter?: Limiter | undefined;
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

/**
 * Parses Retry-After (delta seconds or HTTP date) into milliseconds from `now`. A date in the past is 0; anything
 * else (a negative number, words) is undefined. The caller never waits less than its own backoff either way.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  // Only an HTTP date (it names a weekday or a month); Date.parse alone would read "-5" as the year -5.
  if (!/[a-z]{3}/i.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Exponential backoff with up to 25 % negative jitter: 500, 1000, 2000 … capped at maxDelayMs. */
export function backoffDelay(retry: number, baseDelayMs: number, maxDelayMs: number, random = Math.random): number {
  const raw = Math.min(baseDelayMs * 2 ** retry, maxDelayMs);
  return Math.round(raw * (1 - 0.25 * random()));
}

export class Transport {
  readonly redactor: Redactor;
  readonly #config: TransportConfig;
  readonly #nonRetryable: ReadonlySet<number>;
  readonly #maxResponseBytes: number;
  /** How attempts go out: fixed per client, so chosen once here rather than per call. */
  readonly #send: Send;
  /** Whether the sender has loaded what its first request needs (done once, before a rate limiter's first slot). */
  readonly #sender = { warm: false };

  constructor(config: TransportConfig) {
    const ctx = { vendor: config.vendor, operation: 'createClient' };
    if (config.timeoutMs !== undefined) guard.timeoutMs(ctx, config.timeoutMs);
    this.#maxResponseBytes = guard.positiveInt(
      ctx,
      'maxResponseBytes',
      config.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    );
    this.redactor = config.redactor;
    this.#config = config;
    this.#nonRetryable = new Set(config.nonRetryableStatus ?? []);
    this.#send = config.fetch ? fetchSender(config.fetch) : undiciSend;
  }

  errorForStatus(details: ErrorDetails & { status: number }): PrivacyApiError {
    return this.#config.errorForStatus?.(details) ?? defaultErrorForStatus(details, this.#config.statusHints);
  }

  /** A fetch for one operation call: it retries inside and records what was sent for error reports. */
  exchange(op: Operation, options: ExchangeOptions | undefined): Exchange {
    const cfg = this.#config;
    const timeoutMs =
      options?.timeoutMs === undefined ? (cfg.timeoutMs ?? DEFAULT_TIMEOUT_MS) : guard.timeoutMs(op, options.timeoutMs);
    const maxRetries = options?.maxRetries ?? cfg.maxRetries ?? DEFAULT_MAX_RETRIES;
    const idempotent = options?.idempotent ?? true;
    const baseDelayMs = cfg.baseDelayMs ?? 500;
    const maxDelayMs = cfg.maxDelayMs ?? 8000;
    const maxRetryAfterMs = cfg.maxRetryAfterMs ?? 60_000;
    const maxBytes = this.#maxResponseBytes;
    const nonRetryable = this.#nonRetryable;
    const redactor = this.redactor;
    const send = this.#send;
    const sender = this.#sender;
    let attempts = 0;
    let sentUrl: string | undefined;
    let sentMethod = '';
    // Redacting is deferred until something reads it: the hot path only keeps the raw URL.
    const details = () => ({
      attempts,
      request: sentUrl ? { method: sentMethod, url: redactor.url(sentUrl) } : undefined,
    });
    const fail = (Kind: typeof ConnectionError | typeof AbortedError, message: string, cause?: unknown) =>
      new Kind(`${op.vendor} ${op.operation}: ${message}`, {
        ...op,
        ...details(),
        cause: cause === undefined ? undefined : redactor.string(String(cause)),
      });
    /** A response the SDK will not use (a redirect, an over-long 2xx), as an error with its status and headers. */
    const refuse = (response: Answer, message: string, body?: string) =>
      new ApiStatusError(`${op.vendor} ${op.operation}: ${message}`, {
        ...op,
        ...details(),
        status: response.status,
        headers: headersObject(response.headers, redactor),
        body: body === undefined ? undefined : redactor.string(body),
        requestId: requestIdOf(response.headers, redactor),
      });

    /**
     * What an answer amounts to: a redirect or a 2xx longer than the cap is refused (never followed, never parsed);
     * otherwise the body, read whole or up to the cap (an error keeps a marked preview), for openapi-fetch to parse.
     */
    const settle = async (answered: Answer, sentTo: string): Promise<Omit<AttemptResult, 'log'>> => {
      if (answered.status >= 300 && answered.status < 400) {
        // Neither vendor documents a redirect; following one could leave https or send a DELETE to another origin.
        await answered.discard();
        const location = answered.headers.get('location');
        const to = location === null ? 'without a Location' : `to ${redactor.url(resolveLocation(location, sentTo))}`;
        const message = `the vendor answered HTTP ${answered.status}, a redirect ${to}; redirects are not followed`;
        return { failure: refuse(answered, message), response: readResponse(answered, '') };
      }
      const { bytes, truncated } = await readCapped(answered, maxBytes);
      if (!truncated) return { response: readResponse(answered, bytes) };
      const preview = `${new TextDecoder().decode(bytes.subarray(0, PREVIEW_CHARS))}… [truncated: the body is longer than ${maxBytes} bytes and was not read further]`;
      if (answered.status < 200 || answered.status >= 300) return { response: readResponse(answered, preview) };
      const message = `the response body is longer than ${maxBytes} bytes (maxResponseBytes); not read further`;
      return { failure: refuse(answered, message, preview), response: readResponse(answered, '') };
    };

    type Logged = (status: number | undefined, extra?: Partial<RequestLogEntry>) => void;
    interface AttemptResult {
      response?: Response;
      failure?: PrivacyApiError;
      log: Logged;
    }

    const attempt = async (request: OutgoingRequest): Promise<AttemptResult> => {
      // Credentials first: fetching a token has its own deadline, and its failure (a refused login) is thrown as is,
      // with no timer of this attempt left running.
      await cfg.authorize(request);
      attempts += 1;
      const attemptNo = attempts;
      const started = performance.now();
      const controller = new AbortController();
      const deadline = controller.signal;
      // One deadline for sending, waiting and reading the whole body; cleared when the attempt ends.
      const timer = setTimeout(() => controller.abort(new DOMException('deadline', 'TimeoutError')), timeoutMs);
      const signal = options?.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
      request.headers.set('user-agent', USER_AGENT);
      sentUrl = request.url;
      sentMethod = request.method;
      const log: Logged = (status, extra = {}) =>
        cfg.logger?.({
          vendor: op.vendor,
          operation: op.operation,
          method: request.method,
          url: redactor.url(request.url),
          attempt: attemptNo,
          status,
          durationMs: Math.round(performance.now() - started),
          ...extra,
        });
      let answered: Answer | undefined;
      try {
        const run = () => send(request, signal);
        if (cfg.limiter && !sender.warm) {
          await send.warm?.();
          sender.warm = true;
        }
        answered = cfg.limiter ? await cfg.limiter.add(run, { signal }) : await run();
        if (answered.status === 401) cfg.onUnauthorized?.(request);
        return { ...(await settle(answered, request.url)), log };
      } catch (err) {
        // Also a body that dripped past the deadline or was cut off mid-way: no complete response arrived.
        const where = answered ? `reading the HTTP ${answered.status} response body` : '';
        const failure = options?.signal?.aborted
          ? fail(AbortedError, 'aborted by the caller', err)
          : deadline.aborted
            ? fail(
                TimeoutError,
                answered
                  ? `the response body did not arrive whole within ${timeoutMs} ms (attempt ${attemptNo}, HTTP ${answered.status})`
                  : `no response within ${timeoutMs} ms (attempt ${attemptNo})`,
                err,
              )
            : fail(
                ConnectionError,
                `connection failed (attempt ${attemptNo}${where ? `, ${where}` : ''}): ${describe(err)}`,
                err,
              );
        return { failure, log };
      } finally {
        clearTimeout(timer);
      }
    };

    /** How long to wait before the next attempt, or undefined when this result is final. */
    const retryDelay = (retry: number, { response, failure }: AttemptResult): number | undefined => {
      if (retry >= maxRetries || failure instanceof AbortedError) return undefined;
      // A request that may have reached the vendor is re-sent only for idempotent operations.
      if (failure && !(failure instanceof ApiStatusError))
        return idempotent ? backoffDelay(retry, baseDelayMs, maxDelayMs) : undefined;
      if (failure) return undefined; // a redirect or an over-long body: the same again next time
      const status = response?.status ?? 0;
      if (!RETRYABLE_STATUS.has(status) || nonRetryable.has(status)) return undefined;
      if (!idempotent && status !== 429) return undefined;
      const backoff = backoffDelay(retry, baseDelayMs, maxDelayMs);
      const retryAfter = parseRetryAfter(response?.headers.get('retry-after') ?? null);
      if (retryAfter === undefined) return backoff;
      // A Retry-After of 0, a past date or a negative number never makes the SDK retry faster than its own backoff.
      return retryAfter <= maxRetryAfterMs ? Math.max(retryAfter, backoff) : undefined;
    };

    const fetchWithRetries: RequestFetch = async (input) => {
      const request = asOutgoing(input);
      for (let retry = 0; ; retry++) {
        const result = await attempt(request);
        const waitMs = retryDelay(retry, result);
        if (cfg.logger) {
          // A body that failed to arrive whole is logged as that failure, with no status.
          const bodyFailed = result.failure && !(result.failure instanceof ApiStatusError);
          result.log(bodyFailed ? undefined : result.response?.status, {
            ...(result.failure ? { error: result.failure.name } : {}),
            ...(waitMs === undefined ? {} : { retryInMs: waitMs }),
          });
        }
        if (waitMs === undefined) {
          if (result.failure) throw result.failure;
          return result.response as Response;
        }
        try {
          await sleep(waitMs, options?.signal);
        } catch (err) {
          throw fail(AbortedError, 'aborted by the caller while waiting to retry', err);
        }
      }
    };

    return { fetch: fetchWithRetries, details };
  }
}

/**
 * Reads a body up to `max` bytes. A declared Content-Length within the cap is read in one go (the HTTP parser stops
 * at it); otherwise chunk by chunk, and the rest is cancelled as soon as the cap is passed.
 */
async function readCapped(answer: Answer, max: number): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  if (!answer.chunks) return { bytes: new Uint8Array(0), truncated: false };
  const declared = Number(answer.headers.get('content-length') ?? Number.NaN);
  if (declared <= max && !answer.headers.has('content-encoding'))
    return { bytes: new Uint8Array(await answer.whole()), truncated: false };
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of answer.chunks) {
    chunks.push(chunk);
    size += chunk.byteLength;
    if (size > max) return { bytes: concat(chunks, max), truncated: true }; // leaving the loop cancels the rest
  }
  return { bytes: concat(chunks, size), truncated: false };
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1 && (chunks[0] as Uint8Array).byteLength === length) return chunks[0] as Uint8Array;
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    if (at >= length) break;
    const part = c.subarray(0, length - at);
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/** A Location header as an absolute URL where it can be one; as given (to be redacted as text) where not. */
function resolveLocation(location: string, base: string): string {
  try {
    return new URL(location, base).href;
  } catch {
    return location;
  }
}

function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err);
}
