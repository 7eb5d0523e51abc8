/**
 * LivePerson Personal Data Deletion API. Types come from generated/liveperson.ts (specs/liveperson/…).
 */
import type { DeletionRequest, paths } from '../../generated/liveperson.js';
import { type CancelResult, cancelAndExplain, type RefusalRules } from '../core/cancel.js';
import { AuthenticationError, MonthlyQuotaError, NotFoundError, restated } from '../core/errors.js';
import * as guard from '../core/guards.js';
import { createOpenApiClient } from '../core/openapi-client.js';
import { Redactor } from '../core/redact.js';
import { type RegistryOptions, recordCreated } from '../core/registry.js';
import { type CallOptions, execute } from '../core/request.js';
import { type ClientOptions, Transport } from '../core/transport.js';
import { createAuthorizer, LIVEPERSON_OAUTH1_END_OF_LIFE, type LivePersonAuth } from './auth.js';
import { createDomainResolver, DEFAULT_DOMAIN_API } from './domain.js';
import { type MonthlyQuotaOptions, monthlyQuota, type QuotaUsage } from './quota.js';

/** A LivePerson deletion request record, as the spec describes it (generated from the OpenAPI file). */
export type LivePersonDeletionRequest = DeletionRequest;
export type { LivePersonAuth, OAuth1Credentials } from './auth.js';
export type { MonthlyQuotaOptions, QuotaLedger, QuotaUsage } from './quota.js';

/** Operations of the token and login endpoints: their 401 is a refusal of the credentials, not of a stale token. */
const TOKEN_OPERATIONS = new Set(['fetchToken', 'login', 'bearerProvider']);

/** Ids per create request (all of one deletion type). */
export const LIVEPERSON_MAX_IDS = 100;

import { LIVEPERSON_DELETION_TYPES, type LivePersonDeletionType } from './deletion-types.js';

export { LIVEPERSON_DELETION_TYPES, type LivePersonDeletionType } from './deletion-types.js';

const SITE_ID = /^[a-zA-Z0-9_]{1,20}$/;
const REQUEST_ID = /^[0-9]{1,19}$/;

/**
 * A LivePerson request id as the SDK will send it (a number of up to 19 digits, without leading zeros), or
 * InvalidInputError. Ids are numbers at LivePerson, so `01001` and `1001` are one request: normalised here, every
 * later step (de-duplication, the journal, resume, the request sent) sees the same id.
 */
export function livePersonRequestId(ctx: guard.GuardContext, value: unknown): string {
  const id = guard.pathId(ctx, 'requestId', value).replace(/^0+(?=\d)/, '');
  if (!REQUEST_ID.test(id)) {
    throw guard.invalid(ctx, `requestId must be a number of up to 19 digits; got ${JSON.stringify(value)}`);
  }
  return id;
}

/** Documented statuses (NOT_STARTED, IN_PROGRESS, CANCELED, DONE), open for others. */
export type LivePersonStatus = 'NOT_STARTED' | 'IN_PROGRESS' | 'CANCELED' | 'DONE' | (string & {});

export interface LivePersonClientOptions extends ClientOptions, RegistryOptions {
  /** LivePerson account id. */
  siteId: string;
  /** `{ bearer }` or `{ oauth1: { consumerKey, consumerSecret, token, tokenSecret } }`. */
  auth: LivePersonAuth;
  /** rtbf host (e.g. va.data-mng.liveperson.net); looked up through the Domain API when omitted. */
  domain?: string;
  /** Domain API origin (default https://api.liveperson.net). */
  domainApiBaseUrl?: string;
  /**
   * Hosts (`name` or `name:port`) besides LivePerson's own (under liveperson.net) that the Domain API may name. By
   * default a lookup naming any other host is refused before anything is sent there: it would receive the token.
   */
  allowedHosts?: readonly string[];
  /**
   * Origin of the OAuth 2.0 token host (e.g. https://va.sentinel.liveperson.net; the SDK adds the documented path),
   * for `auth: { clientCredentials }`; looked up through the Domain API (service `sentinel`) when omitted.
   */
  sentinelBaseUrl?: string;
  /** Origin of the Login Service host, for `auth: { login }`; looked up through the Domain API (`agentVep`) when omitted. */
  loginBaseUrl?: string;
  /**
   * Local count of create requests per calendar month (default limit 100, in memory): a create beyond it is refused
   * before sending with MonthlyQuotaError. false turns it off.
   */
  monthlyQuota?: MonthlyQuotaOptions | false;
}

/** One request body: exactly one deletion type with 1–100 unique ids. */
export type CreateDeletionRequestInput = {
  [K in LivePersonDeletionType]: { [P in K]: string[] };
}[LivePersonDeletionType];

/** Filters for `listDeletionRequests`. */
export interface ListFilters {
  /** Only requests with this status, e.g. `NOT_STARTED` (those still cancellable). */
  status?: LivePersonStatus;
  /** yyyy-mm-dd, a Date (its UTC day) or a unix timestamp. */
  fromDate?: string | number | Date;
  /** Up to and including this day: yyyy-mm-dd, a Date (its UTC day) or a unix timestamp. */
  toDate?: string | number | Date;
}

/** LivePerson's Personal Data Deletion API for one account, made by {@link createLivePersonClient}. */
export interface LivePersonClient {
  /**
   * Cancels a deletion request. `is_canceled: true` is `cancelled`; a refusal (409 once the request turned final,
   * 5 days by default) is explained by one status read: `already_cancelled` (CANCELED), `too_late` (IN_PROGRESS,
   * DONE) or `not_found` (404). A refusal the status does not explain is thrown, as its own class.
   *
   * @example
   * ```ts
   * const result = await liveperson.cancelDeletionRequest('7723');
   * console.log(result.outcome, result.vendorStatus, result.detail);
   * ```
   */
  cancelDeletionRequest(requestId: string | number, options?: CallOptions): Promise<CancelResult>;
  /**
   * Reads one deletion request (an unknown id throws NotFoundError).
   *
   * @example
   * ```ts
   * const request = await liveperson.getDeletionRequest(7723);
   * const until = livePersonCancellableUntil(request); // when it turns final, if still NOT_STARTED
   * ```
   */
  getDeletionRequest(requestId: string | number, options?: CallOptions): Promise<DeletionRequest>;
  /**
   * Lists the account's deletion requests, optionally by status and date.
   *
   * @example
   * ```ts
   * const open = await liveperson.listDeletionRequests({ status: 'NOT_STARTED', fromDate: '2026-11-01' });
   * ```
   */
  listDeletionRequests(filters?: ListFilters, options?: CallOptions): Promise<DeletionRequest[]>;
  /**
   * Creates a deletion request: one deletion type, 1–100 ids. Counted against the monthly quota (100 by default) and
   * refused before sending when the local count says it is used up (MonthlyQuotaError, `attempts: 0`).
   *
   * @example
   * ```ts
   * const created = await liveperson.createDeletionRequest({ consumer: ['4f1c…'] });
   * console.log(created.request_id, liveperson.quotaUsage());
   * ```
   */
  createDeletionRequest(body: CreateDeletionRequestInput, options?: CallOptions): Promise<DeletionRequest>;
  /**
   * Creates counted locally this month, or undefined when monthlyQuota is off.
   *
   * @example
   * ```ts
   * const usage = liveperson.quotaUsage(); // { month: '2026-12', used: 3, limit: 100, remaining: 97 }
   * ```
   */
  quotaUsage(): QuotaUsage | undefined;
}

/** How LivePerson statuses explain a refused cancel (CANCELED also confirms an accepted one). */
export const LIVEPERSON_STATUS_RULES: RefusalRules = {
  cancellable: ['NOT_STARTED'],
  alreadyCancelled: ['CANCELED', 'CANCELLED'],
  tooLate: ['IN_PROGRESS', 'DONE', 'APPROVED'],
  notFound: [],
};

/** "final and irrevocable after a pre-defined time period (5 days by default)"; account-configurable. */
export const LIVEPERSON_DEFAULT_CANCEL_WINDOW_MS = 5 * 24 * 3_600_000;

/**
 * When a NOT_STARTED request is expected to turn final, from its request_time and the cancel window: an estimate for
 * planning (the window is account-configurable); outcomes are always decided from the server's status.
 */
export function livePersonCancellableUntil(
  request: DeletionRequest,
  windowMs = LIVEPERSON_DEFAULT_CANCEL_WINDOW_MS,
): string | undefined {
  if (livePersonStatus(request) !== 'NOT_STARTED' || typeof request.request_time !== 'string') return undefined;
  const requested = Date.parse(request.request_time);
  return Number.isNaN(requested) ? undefined : new Date(requested + windowMs).toISOString();
}

/** The status word of a request; older bodies only carry `is_canceled`. */
export function livePersonStatus(request: DeletionRequest): LivePersonStatus {
  if (typeof request.status === 'string' && request.status) return request.status.toUpperCase();
  if (request.is_canceled === true) return 'CANCELED';
  return 'UNKNOWN';
}

/**
 * The subjects of a request, from its `delete_json` (the create body, a JSON string or an object): the deletion type
 * and its ids; undefined when the record does not carry them.
 */
export function livePersonSubjects(request: DeletionRequest): { type: string; ids: string[] } | undefined {
  let body: unknown = (request as { delete_json?: unknown }).delete_json;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  if (!body || typeof body !== 'object') return undefined;
  const [entry] = Object.entries(body as Record<string, unknown>);
  if (!entry || !Array.isArray(entry[1])) return undefined;
  return { type: entry[0], ids: entry[1].filter((s): s is string => typeof s === 'string') };
}

function pickRequest(data: unknown, id: string): DeletionRequest | undefined {
  const list = (Array.isArray(data) ? data : data && typeof data === 'object' ? [data] : []) as DeletionRequest[];
  return list.find((r) => String(r?.request_id) === id) ?? (list.length === 1 ? list[0] : undefined);
}

function dateFilter(
  ctx: guard.GuardContext,
  name: string,
  value: ListFilters['fromDate'],
): string | number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  // otherwise a yyyy-mm-dd that exists, or a Date (its UTC day)
  return guard.day(ctx, name, value, ', a unix timestamp').toISOString().slice(0, 10);
}

/**
 * A LivePerson Personal Data Deletion API client for one account (site id). The API host is looked up once through
 * the Domain API (service `rtbf`) unless `domain` or `baseUrl` is given.
 *
 * @example
 * ```ts
 * const liveperson = createLivePersonClient({
 *   siteId: '92186583',
 *   auth: { bearer: process.env.LIVEPERSON_BEARER! },
 * });
 * const result = await liveperson.cancelDeletionRequest('7723');
 * ```
 * @throws InvalidInputError for a bad site id, missing credentials, an http (not https) base URL.
 */
export function createLivePersonClient(options: LivePersonClientOptions): LivePersonClient {
  const clientOptions = options; // the methods' own `options` are per call
  const setup = { vendor: 'liveperson' as const, operation: 'createLivePersonClient' };
  const siteId = options?.siteId;
  if (typeof siteId !== 'string' || !SITE_ID.test(siteId)) {
    throw guard.invalid(setup, `siteId must match ^[a-zA-Z0-9_]{1,20}$; got ${JSON.stringify(siteId)}`);
  }
  const quota = options.monthlyQuota === false ? undefined : monthlyQuota(siteId, options.monthlyQuota);
  const redactor = new Redactor();
  // The Domain API and the token hosts need no credentials, so none are sent to them.
  const openTransport = new Transport({ ...options, vendor: 'liveperson', redactor, authorize: () => {} });
  let domainApi: string | undefined;
  /** A host given as an option, or looked up once through the Domain API. */
  const host = (override: string | undefined, service: string): ((o?: CallOptions) => Promise<string>) => {
    if (override !== undefined) {
      const fixed = guard.baseUrl(setup, override);
      return async () => fixed;
    }
    domainApi ??= guard.baseUrl(setup, options.domainApiBaseUrl ?? DEFAULT_DOMAIN_API);
    return createDomainResolver(openTransport, domainApi, siteId, service, options.allowedHosts);
  };
  const authorizer = createAuthorizer(options.auth, {
    redactor,
    endpoints: (service) => ({
      siteId,
      redactor,
      transport: openTransport,
      baseUrl: host(service === 'sentinel' ? options.sentinelBaseUrl : options.loginBaseUrl, service),
    }),
  });
  for (const secret of authorizer.secrets) redactor.add(secret);
  const transport = new Transport({
    ...options,
    vendor: 'liveperson',
    redactor,
    authorize: authorizer.authorize,
    onUnauthorized: authorizer.retire,
    // 429 here is the monthly quota: waiting does not help and a retry would burn nothing but time.
    nonRetryableStatus: [429],
    errorForStatus: (details) =>
      details.status === 429
        ? new MonthlyQuotaError(
            `liveperson ${details.operation} failed: HTTP 429 — the account's monthly deletion-request quota ` +
              '(100 per calendar month by default) is used up; not retried. Ask your LivePerson account team to raise it.',
            details,
          )
        : undefined,
    // The likeliest cause of a 401 with OAuth 1.0 keys since LivePerson ended that protocol: say so.
    statusHints: {
      401: () =>
        authorizer.scheme === 'oauth1'
          ? `LivePerson ended OAuth 1.0 on ${LIVEPERSON_OAUTH1_END_OF_LIFE}: use OAuth 2.0 client credentials (auth: { clientCredentials }) or a Login Service user (auth: { login })`
          : undefined,
    },
  });

  const resolveBaseUrl = host(
    options.baseUrl ?? (options.domain === undefined ? undefined : `https://${options.domain}`),
    'rtbf',
  );

  /**
   * The token schemes get one more try after a 401, with a fresh token (an expired one is the usual cause); a second
   * 401 says what is then most likely wrong. A refusal by the token endpoint itself is not repeated.
   */
  async function withFreshTokenOn401<T>(run: () => Promise<T>): Promise<T> {
    const renewable = (err: unknown): err is AuthenticationError =>
      err instanceof AuthenticationError && !TOKEN_OPERATIONS.has(err.operation);
    try {
      return await run();
    } catch (err) {
      // the transport has already retired the refused token (authorizer.retire); the repeat fetches a fresh one
      if (!authorizer.retire || !renewable(err)) throw err;
      try {
        return await run();
      } catch (again) {
        if (!renewable(again)) throw again;
        throw restated(
          again,
          `${again.message}. A fresh ${authorizer.scheme === 'login' ? 'login' : 'token'} was refused too: the app or user may lack the Data permission for the Personal Data Deletion API, or the API may not accept this kind of token`,
        );
      }
    }
  }

  const api = createOpenApiClient<paths>('');
  const ctx = (operation: string) => ({ vendor: 'liveperson' as const, operation });

  async function getDeletionRequest(requestId: string | number, options?: CallOptions): Promise<DeletionRequest> {
    const op = ctx('getDeletionRequest');
    const id = livePersonRequestId(op, requestId);
    const baseUrl = await resolveBaseUrl(options);
    const { data, response } = await execute<unknown>(transport, op, options, (fetch) =>
      api.GET('/api/account/{site_id}/personal-data-deletion/{request_id}', {
        baseUrl,
        params: { path: { site_id: siteId, request_id: id } },
        fetch,
      }),
    );
    const found = pickRequest(redactor.value(data), id);
    if (!found) {
      throw new NotFoundError(`liveperson getDeletionRequest: no request ${id} in the response`, {
        ...op,
        status: response.status,
        body: redactor.value(data),
      });
    }
    return found;
  }

  async function cancelDeletionRequest(requestId: string | number, options?: CallOptions): Promise<CancelResult> {
    const op = ctx('cancelDeletionRequest');
    const id = livePersonRequestId(op, requestId);
    const baseUrl = await resolveBaseUrl(options);
    return cancelAndExplain({
      vendor: 'liveperson',
      requestId: id,
      rules: LIVEPERSON_STATUS_RULES,
      send: async () => {
        const { data, response } = await execute<unknown>(transport, op, options, (fetch) =>
          api.POST('/api/account/{site_id}/personal-data-deletion/{request_id}/cancel', {
            baseUrl,
            params: { path: { site_id: siteId, request_id: id } },
            fetch,
          }),
        );
        // A 2xx whose record is not `is_canceled: true` is a refusal, explained by the status like a 4xx.
        const accepted = pickRequest(data, id)?.is_canceled === true;
        return { accepted, httpStatus: response.status, ...(accepted ? { vendorStatus: 'CANCELED' } : {}) };
      },
      readStatus: async () => ({ status: livePersonStatus(await getDeletionRequest(id, options)) }),
    });
  }

  async function listDeletionRequests(filters: ListFilters = {}, options?: CallOptions): Promise<DeletionRequest[]> {
    const op = ctx('listDeletionRequests');
    const query: { status?: string; fromDate?: string | number; toDate?: string | number } = {};
    if (filters.status !== undefined) {
      if (typeof filters.status !== 'string' || !/^[A-Z_]{1,40}$/.test(filters.status)) {
        throw guard.invalid(
          op,
          `status must be an upper-case status word such as NOT_STARTED; got ${JSON.stringify(filters.status)}`,
        );
      }
      query.status = filters.status;
    }
    const fromDate = dateFilter(op, 'fromDate', filters.fromDate);
    const toDate = dateFilter(op, 'toDate', filters.toDate);
    if (fromDate !== undefined) query.fromDate = fromDate;
    if (toDate !== undefined) query.toDate = toDate;
    const baseUrl = await resolveBaseUrl(options);
    const { data } = await execute<unknown>(transport, op, options, (fetch) =>
      api.GET('/api/account/{site_id}/personal-data-deletion', {
        baseUrl,
        params: { path: { site_id: siteId }, query },
        fetch,
      }),
    );
    return Array.isArray(data) ? (redactor.value(data) as DeletionRequest[]) : [];
  }

  async function createDeletionRequest(
    body: CreateDeletionRequestInput,
    options?: CallOptions,
  ): Promise<DeletionRequest> {
    const op = ctx('createDeletionRequest');
    if (!body || typeof body !== 'object') throw guard.invalid(op, 'body must be an object with one deletion type');
    const keys = Object.keys(body);
    const unknown = keys.filter((k) => !(LIVEPERSON_DELETION_TYPES as readonly string[]).includes(k));
    if (unknown.length)
      throw guard.invalid(
        op,
        `unknown deletion type ${unknown.join(', ')}; use one of ${LIVEPERSON_DELETION_TYPES.join(', ')}`,
      );
    if (keys.length !== 1)
      throw guard.invalid(
        op,
        `exactly one deletion type per request; got ${keys.length} (${keys.join(', ') || 'none'})`,
      );
    const type = keys[0] as LivePersonDeletionType;
    const ids = guard.idList(op, type, (body as Record<string, unknown>)[type], LIVEPERSON_MAX_IDS);
    quota?.beforeCreate(op);
    const baseUrl = await resolveBaseUrl(options);
    let data: DeletionRequest;
    try {
      ({ data } = await execute<DeletionRequest>(transport, op, { ...options, idempotent: false }, (fetch) =>
        api.POST('/api/account/{site_id}/personal-data-deletion', {
          baseUrl,
          params: { path: { site_id: siteId } },
          body: { [type]: ids } as CreateDeletionRequestInput,
          fetch,
        }),
      ));
    } catch (err) {
      quota?.settled(err);
      throw err;
    }
    quota?.settled(); // never throws: a ledger failure goes to onLedgerError, the created request is returned
    const created = redactor.value(data) as DeletionRequest;
    await recordCreated(clientOptions.registry, {
      vendor: 'liveperson',
      account: clientOptions.registryAccount ?? 'liveperson',
      requestId: String(created.request_id),
      requestedAt: typeof created.request_time === 'string' ? created.request_time : new Date().toISOString(),
      idType: type,
      subjects: ids,
    });
    return created;
  }

  return {
    cancelDeletionRequest: (id, o) => withFreshTokenOn401(() => cancelDeletionRequest(id, o)),
    getDeletionRequest: (id, o) => withFreshTokenOn401(() => getDeletionRequest(id, o)),
    listDeletionRequests: (filters, o) => withFreshTokenOn401(() => listDeletionRequests(filters, o)),
    // a 401 means nothing was created: the repeat cannot make a second request
    createDeletionRequest: (body, o) => withFreshTokenOn401(() => createDeletionRequest(body, o)),
    quotaUsage: () => quota?.usage(),
  };
}
