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
import { type CallOptions, execute, type Operation, type Success, unusableResponse } from '../core/request.js';
import { type ClientOptions, Transport } from '../core/transport.js';

export type MixpanelRegion = 'us' | 'eu' | 'in';
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
export const MIXPANEL_MAX_DISTINCT_IDS_DOCUMENTED = 2000;
/** Mixpanel's documented rate limit: 1 request per second per project. */
export const MIXPANEL_DEFAULT_RATE_LIMIT: RateLimitOptions = { requests: 1, intervalMs: 1000 };

export type ComplianceType = 'GDPR' | 'CCPA';
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

export interface MixpanelClientOptions extends ClientOptions {
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
}

export interface MixpanelDeletion {
  trackingId: string;
  status: MixpanelTaskStatus;
  complianceType?: string | undefined;
  requestingUser?: string | undefined;
  dateRequested?: string | undefined;
  distinctIdCount?: number | undefined;
  /** The response body as received (redacted). */
  raw: unknown;
}

export interface MixpanelRetrieval {
  trackingId: string;
  status: MixpanelTaskStatus;
  /** Link to the export once the job succeeded (the spec calls it `results`, the prose `result`). */
  downloadUrl?: string | undefined;
  raw: unknown;
}

export interface MixpanelTaskCreated {
  taskId: string;
  raw: unknown;
}

export interface MixpanelDeletionInput {
  distinctIds: string[];
  complianceType?: ComplianceType;
  /**
   * What to do when Mixpanel answers 409 because some ids already have a running deletion task (nothing is created):
   * 'throw' (default) raises ConflictError; 'submit-rest' sends one new request for the other ids and reports the
   * scheduled ones in `alreadyScheduled`.
   */
  onConflict?: 'throw' | 'submit-rest';
}

export interface MixpanelDeletionCreated extends MixpanelTaskCreated {
  /** With onConflict 'submit-rest': the ids left out because they already had a task, and those tasks. */
  alreadyScheduled?: { distinctIds: string[]; taskIds: string[] };
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

export interface MixpanelClient {
  cancelDeletion(trackingId: string, options?: CallOptions): Promise<CancelResult>;
  getDeletion(trackingId: string, options?: CallOptions): Promise<MixpanelDeletion>;
  createDeletion(input: MixpanelDeletionInput, options?: CallOptions): Promise<MixpanelDeletionCreated>;
  createRetrieval(
    input: { distinctIds: string[]; complianceType?: ComplianceType; disclosureType?: DisclosureType },
    options?: CallOptions,
  ): Promise<MixpanelTaskCreated>;
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

export function createMixpanelClient(options: MixpanelClientOptions): MixpanelClient {
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
  const api = createOpenApiClient<paths>(baseUrl);
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
    return {
      trackingId: str(r.tracking_id) ?? id,
      status: str(r.status)?.toUpperCase() ?? 'UNKNOWN',
      complianceType: str(r.compliance_type),
      requestingUser: str(r.requesting_user),
      dateRequested: str(r.date_requested),
      distinctIdCount: Array.isArray(r.distinct_ids) ? r.distinct_ids.length : undefined,
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
    try {
      return taskCreated(await send(distinct_ids), op);
    } catch (err) {
      // 409: some ids already have a running task and nothing was created. Never the identical request again; with
      // 'submit-rest', one new request for the ids that are not scheduled yet (Mixpanel's own advice).
      if (!(err instanceof ConflictError) || onConflict !== 'submit-rest') throw err;
      const scheduled = new Set(err.conflictingDistinctIds);
      const rest = distinct_ids.filter((id) => !scheduled.has(id));
      if (scheduled.size === 0 || rest.length === 0 || rest.length === distinct_ids.length) throw err;
      const created = taskCreated(await send(rest), op);
      return {
        ...created,
        alreadyScheduled: { distinctIds: [...scheduled], taskIds: err.conflictingTaskIds },
      };
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
