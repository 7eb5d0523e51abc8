/**
 * Input checks run before anything is sent. openapi-fetch puts path parameters into the URL as given, and the
 * URL parser collapses `.` and `..` (also `%2e%2e`) into the parent path, so such ids would hit another endpoint.
 */
import { InvalidInputError, type Vendor } from './errors.js';

export interface GuardContext {
  vendor: Vendor;
  operation: string;
}

export function invalid(ctx: GuardContext, message: string): InvalidInputError {
  return new InvalidInputError(`${ctx.vendor} ${ctx.operation}: ${message}`, { ...ctx, attempts: 0 });
}

const DOT_SEGMENT = /^(\.|%2e){1,2}$/i;
// C0/C1 controls, DEL and Unicode line/paragraph separators never belong in an id.
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// Bidirectional controls make an id display differently from what is sent ("Trojan Source"): never in an id.
const BIDI_CONTROL = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
export const MAX_ID_LENGTH = 512;

/** An opaque id that becomes one URL path segment. */
export function pathId(ctx: GuardContext, name: string, value: unknown): string {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  if (typeof value !== 'string') throw invalid(ctx, `${name} must be a string, got ${typeof value}`);
  if (value.trim() === '') throw invalid(ctx, `${name} is empty`);
  if (DOT_SEGMENT.test(value.trim()))
    throw invalid(ctx, `${name} "${value}" is a dot segment and would escape the path`);
  if (value.length > MAX_ID_LENGTH) throw invalid(ctx, `${name} is longer than ${MAX_ID_LENGTH} characters`);
  if (CONTROL.test(value)) throw invalid(ctx, `${name} contains a control character`);
  if (BIDI_CONTROL.test(value)) throw invalid(ctx, `${name} contains a bidirectional control character`);
  if (value !== value.trim()) throw invalid(ctx, `${name} has leading or trailing whitespace`);
  return value;
}

/** A list of subject ids for a request body: non-empty strings, unique, within the vendor's limit. */
export function idList(ctx: GuardContext, name: string, values: unknown, max: number): string[] {
  if (!Array.isArray(values)) throw invalid(ctx, `${name} must be an array of strings`);
  if (values.length === 0) throw invalid(ctx, `${name} is empty: give at least one id`);
  if (values.length > max)
    throw invalid(ctx, `${name} has ${values.length} ids; at most ${max} are allowed per request`);
  const seen = new Set<string>();
  values.forEach((v, i) => {
    if (typeof v !== 'string' || v.trim() === '') throw invalid(ctx, `${name}[${i}] must be a non-empty string`);
    if (CONTROL.test(v)) throw invalid(ctx, `${name}[${i}] contains a control character`);
    if (BIDI_CONTROL.test(v)) throw invalid(ctx, `${name}[${i}] contains a bidirectional control character`);
    if (seen.has(v)) throw invalid(ctx, `${name}[${i}] repeats an id already in the list`);
    seen.add(v);
  });
  return [...seen];
}

/** true or false; a JavaScript caller's "false" string would otherwise count as true. */
export function boolean(ctx: GuardContext, name: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  throw invalid(ctx, `${name} must be true or false; got ${JSON.stringify(value)}`);
}

export function oneOf<T extends string>(ctx: GuardContext, name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw invalid(ctx, `${name} must be one of ${allowed.join(', ')}; got ${JSON.stringify(value)}`);
}

/**
 * A calendar date: `yyyy-mm-dd` (UTC) or a valid Date. A day that does not exist (2026-02-31) is refused, not rolled
 * over into the next month as Date would. `also` names other forms the caller accepts, for the message.
 */
export function day(ctx: GuardContext, name: string, value: unknown, also = ''): Date {
  const date =
    value instanceof Date
      ? value
      : typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)
        ? new Date(`${value}T00:00:00Z`)
        : undefined;
  const valid = date !== undefined && !Number.isNaN(date.getTime());
  if (valid && (typeof value !== 'string' || date.toISOString().startsWith(value))) return date;
  const got = value instanceof Date ? 'Invalid Date' : value;
  throw invalid(ctx, `${name} must be yyyy-mm-dd${also} or a Date; got ${JSON.stringify(got)}`);
}

/** setTimeout's largest delay; a longer one fires at once (Node warns TimeoutOverflowWarning). */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** A per-attempt deadline setTimeout can keep: an integer of ms from 1 to MAX_TIMEOUT_MS (about 24.8 days). */
export function timeoutMs(ctx: GuardContext, value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_TIMEOUT_MS) return value;
  throw invalid(ctx, `timeoutMs must be an integer from 1 to ${MAX_TIMEOUT_MS} ms; got ${JSON.stringify(value)}`);
}

export function positiveInt(ctx: GuardContext, name: string, value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 1) return value;
  throw invalid(ctx, `${name} must be a positive integer; got ${JSON.stringify(value)}`);
}

export function nonEmptySecret(ctx: GuardContext, name: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalid(ctx, `${name} is missing or empty`);
  return value;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** Base URLs must be https, except plain http to a loopback address (tests, local sandboxes). */
export function baseUrl(ctx: GuardContext, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(ctx, `baseUrl "${value}" is not a valid URL`);
  }
  if (url.search || url.hash) throw invalid(ctx, 'baseUrl must not contain a query or fragment');
  if (url.username || url.password) throw invalid(ctx, 'baseUrl must not contain credentials');
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || url.hostname.startsWith('127.');
  if (url.protocol === 'http:' && !loopback) {
    throw invalid(ctx, `baseUrl ${url.origin} uses plain http; only https is allowed except for loopback addresses`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw invalid(ctx, `baseUrl protocol ${url.protocol} is not supported`);
  return url.toString().replace(/\/+$/, '');
}
