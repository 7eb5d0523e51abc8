/**
 * Mixpanel GDPR API v3 (deletions and retrievals). Types come from generated/mixpanel.ts, i.e. Mixpanel's
 * published spec plus specs/mixpanel/gdpr.overlay.yaml.
 */
import { createHash } from 'node:crypto';
import type { paths } from '../../generated/mixpanel.js';
import { type CancelResult, cancelAndExplain, type RefusalRules } from '../core/cancel.js';
import { ConflictError } from '../core/errors.js';
import * as guard from '../core/guards.js';
import { type RateLimitOptions, sharedLimiter } from '../core/limiter.js';
import { createOpenApiClient } from '../core/openapi-client.js';
import { Redactor } from '../core/redact.js';
import { type RegistryOptions, recordCreated } from '../core/registry.js';
import { type CallOptions, execute, type Operation, type Success, unusableResponse } from '../core/request.js';
import { type ClientOptions, Transport } from '../core/transport.js';

/** Where the project's data lives (data residency): picks the API host. */
export type MixpanelRegion = 'us' | 'eu' | 'in';
/** The regions Mixpanel serves the GDPR API from. */
export const MIXPANEL_REGIONS: readonly MixpanelRegion[] = ['us', 'eu', 'in'];
const REGION_HOST: Record<MixpanelRegion, string> = {
  us: 'https://mixpanel.com/api/app',
  eu: 'https://eu.mixpanel.com/api/app',
  in: 'https://in.mixpanel.com/api/app',
};

/**
 * Distinct ids per request. Mixpanel's create-deletion table says "up to 1999", its general note 2000, and
 * RudderStack's production client sends at most 1999: the SDK keeps to 1999 unless the caller raises it
 * (`maxDistinctIdsPerRequest`, at most MIXPANEL_MAX_DISTINCT_IDS_DOCUMENTED).
 */
export const MIXPANEL_MAX_DISTINCT_IDS = 1999;
/** The most distinct ids Mixpanel's general note allows per request; the most `maxDistinctIdsPerRequest` accepts. */
export const MIXPANEL_MAX_DISTINCT_IDS_DOCUMENTED = 2000;
/** Mixpanel's documented rate limit: 1 request per second per project. */
export const MIXPANEL_DEFAULT_RATE_LIMIT: RateLimitOptions = { requests: 1, intervalMs: 1000 };

/** The law a request is made under. */
export type ComplianceType = 'GDPR' | 'CCPA';
/** What a CCPA retrieval discloses. */
export type DisclosureType = 'Data' | 'Categories' | 'Sources';
/** The eight documented task statuses, open for values Mixpanel adds later. */
export type MixpanelTaskStatus =
  | 'PENDING'
  | 'STAGING'
  | 'STARTED'
  | 'SUCCESS'
  | 'FAILURE'
  | 'REVOKED'
  | 'NOT_FOUND'
  | 'UNKNOWN'
  | (string & {});

export interface MixpanelClientOptions extends ClientOptions, RegistryOptions {
  /** Project token (sent as the `token` query parameter; redacted in every report). */
  projectToken: string;
  /** GDPR OAuth token of a project owner/admin (one-year lifetime). */
  oauthToken: string;
  /**
   * When the OAuth token was generated (`yyyy-mm-dd` or a Date). Mixpanel tokens expire a year later and the token
   * itself does not say when; with this, a 401 says whether expiry is the likely cause.
   */
  oauthTokenIssuedAt?: string | Date;
  /** Data residency of the project (default us). */
  region?: MixpanelRegion;
  /** Client-side rate limit shared by every client of this project token; false disables it. Default 1 req/s. */
  rateLimit?: RateLimitOptions | false;
  /**
   * Most distinct ids sent in one create (default 1999, the create-deletion table's figure; up to 2000, the general
   * note's). More are refused before sending.
   */
  maxDistinctIdsPerRequest?: number;
  /**
   * Send every path ending in `/` (default true), as Mixpanel's documented examples and the production clients that
   * run against the live API do (`…/data-deletions/v3.0/?token=…`, `…/v3.0/{id}/?token=…`); `false` sends the form
   * of Mixpanel's OpenAPI file, without it. Nobody has shown POST or DELETE working without the slash
   * (docs/vendor-assumptions.md); `privacy-deletions doctor --probe` reads a status both ways.
   */
  trailingSlash?: boolean;
}

/** A deletion task as Mixpanel reports it. */
export interface MixpanelDeletion {
  /** The task's tracking id. */
  trackingId: string;
  /** Upper-case status word; `NOT_FOUND` when Mixpanel has no such task. */
  status: MixpanelTaskStatus;
  /** GDPR or CCPA. */
  complianceType?: string | undefined;
  /** Who created the task (redacted). */
  requestingUser?: string | undefined;
  /** When the task was created, as Mixpanel wrote it. */
  dateRequested?: string | undefined;
  /** How many distinct ids the task holds, when Mixpanel lists them. */
  distinctIdCount?: number | undefined;
  /** The distinct ids the task holds, when Mixpanel lists them (redacted like the rest). */
  distinctIds?: string[] | undefined;
  /** The response body as received (redacted). */
  raw: unknown;
}

/** A retrieval (export) job as Mixpanel reports it. */
export interface MixpanelRetrieval {
  /** The job's tracking id. */
  trackingId: string;
  /** Upper-case status word. */
  status: MixpanelTaskStatus;
  /** Link to the export once the job succeeded (the spec calls it `results`, the prose `result`). */
  downloadUrl?: string | undefined;
  /** The response body as received (redacted). */
  raw: unknown;
}

/** A task Mixpanel created. */
export interface MixpanelTaskCreated {
  /** Its tracking id: keep it, it is what a cancel needs. */
  taskId: string;
  /** The response body as received (redacted). */
  raw: unknown;
}

/** What `createDeletion` takes. */
export interface MixpanelDeletionInput {
  /** The subjects' distinct ids: 1 to 1999 (`maxDistinctIdsPerRequest`), unique. */
  distinctIds: string[];
  /** GDPR (default) or CCPA. */
  complianceType?: ComplianceType;
  /**
   * What to do when Mixpanel answers 409 because some ids already have a running deletion task (nothing is created):
   * 'throw' (default) raises ConflictError; 'submit-rest' sends one new request for the other ids and reports the
   * scheduled ones in `alreadyScheduled`.
   */
  onConflict?: 'throw' | 'submit-rest';
}

/** A deletion Mixpanel created, and with `onConflict: 'submit-rest'` the ids it left out. */
export interface MixpanelDeletionCreated extends MixpanelTaskCreated {
  /** With onConflict 'submit-rest': the ids left out because they already had a task, and those tasks. */
  alreadyScheduled?: {
    /** Ids that already had a running deletion task, so were not sent again. */
    distinctIds: string[];
    /** The tasks that hold them. */
    taskIds: string[];
  };
}

/** How Mixpanel task statuses explain a refused cancel (REVOKED also confirms an accepted one). */
export const MIXPANEL_STATUS_RULES: RefusalRules = {
  cancellable: ['PENDING', 'STAGING'],
  alreadyCancelled: ['REVOKED'],
  tooLate: ['STARTED', 'SUCCESS', 'FAILURE'],
  notFound: ['NOT_FOUND'],
};

/**
 * A Mixpanel tracking id as the SDK will send it (opaque, one safe path segment, Unicode NFC so that one id typed two
 * ways is one request), or InvalidInputError.
 */
export function mixpanelTrackingId(ctx: guard.GuardContext, value: unknown): string {
  return guard.pathId(ctx, 'trackingId', typeof value === 'string' ? value.normalize('NFC') : value);
}

type Results = Record<string, unknown> | undefined;
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** Mixpanel's GDPR API v3, made by {@link createMixpanelClient}. */
export interface MixpanelClient {
  /**
   * Cancels a deletion task. Accepted (204) is `cancelled`; a refusal (405 once the task has STARTED) is explained
   * by one status read: `already_cancelled` (REVOKED), `too_late` (STARTED, SUCCESS, FAILURE) or `not_found`. A
   * refusal the status does not explain is thrown, as its own class, with a failed status read as `cause`.
   *
   * @example
   * ```ts
   * const result = await mixpanel.cancelDeletion('35bd8477-f71f-4088-af55-c88a6fb4ad4b');
   * if (result.outcome === 'too_late') console.log(result.detail); // the request is past its cancel window …
   * ```
   */
  cancelDeletion(trackingId: string, options?: CallOptions): Promise<CancelResult>;
  /**
   * Reads a deletion task's status (`PENDING`, `STAGING`, `STARTED`, `SUCCESS`, `FAILURE`, `REVOKED`, `NOT_FOUND`).
   *
   * @example
   * ```ts
   * const { status } = await mixpanel.getDeletion(trackingId);
   * const stillCancellable = status === 'PENDING' || status === 'STAGING';
   * ```
   */
  getDeletion(trackingId: string, options?: CallOptions): Promise<MixpanelDeletion>;
  /**
   * Creates a deletion task for up to 1999 distinct ids. Never re-sent after a timeout or 5xx (Mixpanel may have
   * acted). A 409 (some ids already in a running task; nothing created) throws ConflictError, or with
   * `onConflict: 'submit-rest'` sends one new request for the other ids.
   *
   * @example
   * ```ts
   * const { taskId, alreadyScheduled } = await mixpanel.createDeletion({
   *   distinctIds: ['user-1', 'user-2'],
   *   onConflict: 'submit-rest',
   * });
   * ```
   */
  createDeletion(input: MixpanelDeletionInput, options?: CallOptions): Promise<MixpanelDeletionCreated>;
  /**
   * Creates a retrieval (export) job for up to 1999 distinct ids.
   *
   * @example
   * ```ts
   * const { taskId } = await mixpanel.createRetrieval({ distinctIds: ['user-1'], complianceType: 'CCPA', disclosureType: 'Data' });
   * ```
   */
  createRetrieval(
    input: { distinctIds: string[]; complianceType?: ComplianceType; disclosureType?: DisclosureType },
    options?: CallOptions,
  ): Promise<MixpanelTaskCreated>;
  /**
   * Reads a retrieval job; `downloadUrl` is set once it succeeded.
   *
   * @example
   * ```ts
   * const job = await mixpanel.getRetrieval(taskId);
   * if (job.status === 'SUCCESS') console.log(job.downloadUrl);
   * ```
   */
  getRetrieval(trackingId: string, options?: CallOptions): Promise<MixpanelRetrieval>;
}

/** When a Mixpanel GDPR OAuth token issued at `issuedAt` expires: "The OAuth token has a one-year expiry." */
export function mixpanelOAuthTokenExpiry(issuedAt: string | Date): Date {
  const expiry = new Date(
    guard.day({ vendor: 'mixpanel', operation: 'mixpanelOAuthTokenExpiry' }, 'issuedAt', issuedAt),
  );
  expiry.setUTCFullYear(expiry.getUTCFullYear() + 1);
  return expiry;
}

/** What a Mixpanel 401 most often means, and the way out. */
function expiredTokenHint(issuedAt: Date | undefined, now = new Date()): string {
  const day = (d: Date) => d.toISOString().slice(0, 10);
  let age = '';
  if (issuedAt) {
    const expiry = mixpanelOAuthTokenExpiry(issuedAt);
    age = `; this one was issued ${day(issuedAt)} and ${expiry <= now ? 'expired' : 'expires'} ${day(expiry)}`;
  }
  return `Mixpanel GDPR OAuth tokens expire a year after they are made${age}; a project owner or admin makes a new one under Profile & Preferences → Data & Privacy`;
}

/**
 * A Mixpanel GDPR API client for one project. Requests keep to 1 per second per project token (shared by every
 * client of that token in the process), retry what is safe to retry, and never show a token in any error or log.
 *
 * @example
 * ```ts
 * const mixpanel = createMixpanelClient({
 *   projectToken: process.env.MIXPANEL_PROJECT_TOKEN!,
 *   oauthToken: process.env.MIXPANEL_OAUTH_TOKEN!,
 *   region: 'eu',
 * });
 * const result = await mixpanel.cancelDeletion('35bd8477-f71f-4088-af55-c88a6fb4ad4b');
 * ```
 * @throws InvalidInputError for a missing token, an unknown region, an http (not https) base URL.
 */
export function createMixpanelClient(options: MixpanelClientOptions): MixpanelClient {
  const clientOptions = options; // the methods' own `options` are per call
  const setup = { vendor: 'mixpanel' as const, operation: 'createMixpanelClient' };
  const projectToken = guard.nonEmptySecret(setup, 'projectToken', options?.projectToken);
  const oauthToken = guard.nonEmptySecret(setup, 'oauthToken', options.oauthToken);
  const region = guard.oneOf(setup, 'region', options.region ?? 'us', MIXPANEL_REGIONS);
  const issuedAt =
    options.oauthTokenIssuedAt === undefined
      ? undefined
      : guard.day(setup, 'oauthTokenIssuedAt', options.oauthTokenIssuedAt);
  const baseUrl = guard.baseUrl(setup, options.baseUrl ?? REGION_HOST[region]);
  const maxIds = guard.positiveInt(
    setup,
    'maxDistinctIdsPerRequest',
    options.maxDistinctIdsPerRequest ?? MIXPANEL_MAX_DISTINCT_IDS,
  );
  if (maxIds > MIXPANEL_MAX_DISTINCT_IDS_DOCUMENTED)
    throw guard.invalid(
      setup,
      `maxDistinctIdsPerRequest must be at most ${MIXPANEL_MAX_DISTINCT_IDS_DOCUMENTED}, the most Mixpanel documents; got ${maxIds}`,
    );
  const redactor = new Redactor([projectToken, oauthToken]);
  const credentialKey = createHash('sha256').update(projectToken).digest('hex').slice(0, 16);

  const transport = new Transport({
    ...options,
    vendor: 'mixpanel',
    redactor,
    limiter: sharedLimiter(`mixpanel:${credentialKey}`, options.rateLimit ?? MIXPANEL_DEFAULT_RATE_LIMIT),
    authorize: (request) => request.headers.set('authorization', `Bearer ${oauthToken}`),
    statusHints: { 401: () => expiredTokenHint(issuedAt) },
  });
  const api = createOpenApiClient<paths>(baseUrl, {
    trailingSlash: guard.boolean(setup, 'trailingSlash', options.trailingSlash ?? true),
  });
  const token = { token: projectToken };
  const ctx = (operation: string) => ({ vendor: 'mixpanel' as const, operation });

  async function getDeletion(trackingId: string, options?: CallOptions): Promise<MixpanelDeletion> {
    const op = ctx('getDeletion');
    const id = mixpanelTrackingId(op, trackingId);
    const { data } = await execute<unknown>(transport, op, options, (fetch) =>
      api.GET('/data-deletions/v3.0/{tracking_id}', { params: { path: { tracking_id: id }, query: token }, fetch }),
    );
    // Every field returned is read from the redacted copy: a vendor that echoes a credential back cannot leak it.
    const raw = redactor.value(data) as { results?: Results } | undefined;
    const r = raw?.results ?? {};
    const distinctIds = Array.isArray(r.distinct_ids)
      ? r.distinct_ids.filter((d): d is string => typeof d === 'string')
      : undefined;
    return {
      trackingId: str(r.tracking_id) ?? id,
      status: str(r.status)?.toUpperCase() ?? 'UNKNOWN',
      complianceType: str(r.compliance_type),
      requestingUser: str(r.requesting_user),
      dateRequested: str(r.date_requested),
      distinctIdCount: distinctIds?.length,
      distinctIds,
      raw,
    };
  }

  async function cancelDeletion(trackingId: string, options?: CallOptions): Promise<CancelResult> {
    const op = ctx('cancelDeletion');
    const id = mixpanelTrackingId(op, trackingId);
    return cancelAndExplain({
      vendor: 'mixpanel',
      requestId: id,
      rules: MIXPANEL_STATUS_RULES,
      send: async () => {
        const { response } = await execute(transport, op, options, (fetch) =>
          api.DELETE('/data-deletions/v3.0/{tracking_id}', {
            params: { path: { tracking_id: id }, query: token },
            fetch,
          }),
        );
        return { accepted: true, httpStatus: response.status };
      },
      readStatus: async () => ({ status: (await getDeletion(id, options)).status }),
    });
  }

  function taskCreated(created: Success<unknown>, op: Operation): MixpanelTaskCreated {
    // Spec: results.task_id; prose docs: results[0].tracking_id. Accept both.
    const raw = redactor.value(created.data) as { results?: unknown } | undefined;
    const results = raw?.results;
    const first = Array.isArray(results) ? (results[0] as Results) : (results as Results);
    const taskId = str(first?.task_id) ?? str(first?.tracking_id);
    if (!taskId)
      throw unusableResponse(transport, op, created, 'the vendor accepted the request but returned no task id');
    return { taskId, raw };
  }

  /** The body fields both creates share: 1–1999 distinct ids (maxDistinctIdsPerRequest) and the compliance type. */
  function subjects(op: Operation, input: { distinctIds: string[]; complianceType?: ComplianceType }) {
    return {
      distinct_ids: guard.idList(op, 'distinctIds', input?.distinctIds, maxIds),
      compliance_type: guard.oneOf(op, 'complianceType', input.complianceType ?? 'GDPR', ['GDPR', 'CCPA'] as const),
    };
  }

  async function createDeletion(input: MixpanelDeletionInput, options?: CallOptions): Promise<MixpanelDeletionCreated> {
    const op = ctx('createDeletion');
    const { distinct_ids, compliance_type } = subjects(op, input);
    const onConflict = guard.oneOf(op, 'onConflict', input.onConflict ?? 'throw', ['throw', 'submit-rest'] as const);
    const send = (ids: string[]) =>
      execute(transport, op, { ...options, idempotent: false }, (fetch) =>
        api.POST('/data-deletions/v3.0', {
          params: { query: token },
          body: { distinct_ids: ids, compliance_type },
          fetch,
        }),
      );
    const registered = async (created: MixpanelDeletionCreated, ids: string[]) => {
      await recordCreated(clientOptions.registry, {
        vendor: 'mixpanel',
        account: clientOptions.registryAccount ?? 'mixpanel',
        requestId: created.taskId,
        requestedAt: new Date().toISOString(), // Mixpanel's create answer carries no time the spec promises
        idType: 'distinct_id',
        subjects: ids,
      });
      return created;
    };
    try {
      return await registered(taskCreated(await send(distinct_ids), op), distinct_ids);
    } catch (err) {
      // 409: some ids already have a running task and nothing was created. Never the identical request again; with
      // 'submit-rest', one new request for the ids that are not scheduled yet (Mixpanel's own advice).
      if (!(err instanceof ConflictError) || onConflict !== 'submit-rest') throw err;
      const scheduled = new Set(err.conflictingDistinctIds);
      const rest = distinct_ids.filter((id) => !scheduled.has(id));
      if (scheduled.size === 0 || rest.length === 0 || rest.length === distinct_ids.length) throw err;
      const created = taskCreated(await send(rest), op);
      return registered(
        { ...created, alreadyScheduled: { distinctIds: [...scheduled], taskIds: err.conflictingTaskIds } },
        rest,
      );
    }
  }

  async function createRetrieval(
    input: { distinctIds: string[]; complianceType?: ComplianceType; disclosureType?: DisclosureType },
    options?: CallOptions,
  ): Promise<MixpanelTaskCreated> {
    const op = ctx('createRetrieval');
    const { distinct_ids, compliance_type } = subjects(op, input);
    const disclosure_type =
      input.disclosureType === undefined
        ? undefined
        : guard.oneOf(op, 'disclosureType', input.disclosureType, ['Data', 'Categories', 'Sources'] as const);
    const body = disclosure_type
      ? { distinct_ids, compliance_type, disclosure_type }
      : { distinct_ids, compliance_type };
    const created = await execute(transport, op, { ...options, idempotent: false }, (fetch) =>
      api.POST('/data-retrievals/v3.0', { params: { query: token }, body, fetch }),
    );
    return taskCreated(created, op);
  }

  async function getRetrieval(trackingId: string, options?: CallOptions): Promise<MixpanelRetrieval> {
    const op = ctx('getRetrieval');
    const id = mixpanelTrackingId(op, trackingId);
    const { data } = await execute<unknown>(transport, op, options, (fetch) =>
      api.GET('/data-retrievals/v3.0/{tracking_id}', { params: { path: { tracking_id: id }, query: token }, fetch }),
    );
    const raw = redactor.value(data) as { results?: Results } | undefined;
    const r = raw?.results ?? {};
    const link = str(r.results) ?? str(r.result);
    return {
      trackingId: id,
      status: str(r.status)?.toUpperCase() ?? 'UNKNOWN',
      downloadUrl: link ? link : undefined,
      raw,
    };
  }

  return { cancelDeletion, getDeletion, createDeletion, createRetrieval, getRetrieval };
}
