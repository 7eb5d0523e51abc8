/**
 * How one HTTP attempt goes out and how its answer is read: through undici's `request()` by default, or through the
 * caller's own `fetch` when one is given. Node's built-in fetch costs more than the SDK's whole layer (it builds WHATWG
 * Request/Response objects and links every AbortSignal with a WeakRef and a finalizer); undici's request() sends the
 * same bytes without them. undici is loaded on the first request through import(), so importing the SDK does not load it.
 * Neither path follows redirects: the transport refuses them.
 */
import type { Dispatcher } from 'undici';
import type { OutgoingRequest } from './openapi-client.js';

/** What one attempt got back, whichever client sent it. */
export interface Answer {
  status: number;
  statusText: string;
  headers: Headers;
  /** The body chunk by chunk (leaving the loop early cancels the rest), or undefined when there is none. */
  chunks: AsyncIterable<Uint8Array> | undefined;
  /** The whole body in one go: only used when its declared length is within the cap. */
  whole(): Promise<ArrayBuffer>;
  /** Drops the body unread. */
  discard(): Promise<void>;
}

export type Send = ((request: OutgoingRequest, signal: AbortSignal) => Promise<Answer>) & {
  /**
   * Loads what the first send needs, so that cost is paid before a rate limiter's slot is taken: a first request
   * that leaves 80 ms after its slot arrives less than a slot before the second, and a strict server answers 429.
   */
  warm?: () => Promise<void>;
};

/** Sends through a fetch implementation (the caller's own `fetch` option). */
export function fetchSender(fetchImpl: typeof fetch): Send {
  return async (request, signal) => {
    const response = await fetchImpl(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal,
      redirect: 'manual',
    });
    return {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
      chunks: response.body ?? undefined,
      whole: () => response.arrayBuffer(),
      discard: async () => {
        await response.body?.cancel().catch(() => {});
      },
    };
  };
}

let undici: Promise<typeof import('undici')> | undefined;

/** Sends through undici's request() on its keep-alive global agent (no redirects: undici 7 follows none by default). */
export const undiciSend: Send = async (request, signal) => {
  undici ??= import('undici');
  const { request: send } = await undici;
  const headers: Record<string, string> = {};
  request.headers.forEach((value, key) => {
    headers[key] = value;
  });
  const body = typeof request.body === 'string' ? request.body : undefined;
  const method = request.method as Dispatcher.HttpMethod; // upper-cased by OutgoingRequest
  const answer = await send(request.url, { method, headers, body, signal });
  const answerHeaders = new Headers();
  for (const [key, value] of Object.entries(answer.headers)) {
    if (Array.isArray(value)) for (const v of value) answerHeaders.append(key, v);
    else if (value !== undefined) answerHeaders.set(key, value);
  }
  const empty = answer.statusCode === 204 || answer.statusCode === 304;
  return {
    status: answer.statusCode,
    statusText: '',
    headers: answerHeaders,
    chunks: empty ? undefined : (answer.body as AsyncIterable<Uint8Array>),
    whole: () => answer.body.arrayBuffer(),
    discard: async () => {
      // destroying an unfinished body emits an AbortError; nothing is waiting for it here
      answer.body.on('error', () => {});
      answer.body.destroy();
    },
  };
};
undiciSend.warm = async () => {
  undici ??= import('undici');
  await undici;
};
