/**
 * A stateful local stand-in for both vendors, for demos and tests. It keeps tasks and requests in memory, moves them
 * through their lifecycles on a controllable clock, and enforces the vendors' limits:
 * - Mixpanel (under /mixpanel): PENDING → STAGING → STARTED → SUCCESS; DELETE before STARTED → REVOKED (204), after → 405;
 *   409 when a distinct id is already in a running task; 429 above the configured requests per second per project.
 * - LivePerson (under /liveperson): NOT_STARTED until the request turns final (5 days by default) → IN_PROGRESS → DONE;
 *   cancel before that → CANCELED, after → 409; unknown → 404; monthly quota → 429.
 * Both answer 401 to a credential revoked with `revoke` (a Mixpanel OAuth token expires after a year; keys get revoked).
 * Control endpoints under /_sandbox: GET state, POST clock {advanceMs}, POST seed {vendor, count, ageMs},
 * POST revoke {credential}; POSTs need `content-type: application/json`, so no web page can send them.
 * It ships in the package and users run it, so it answers bad input instead of crashing: 400 for a bad
 * percent-escape, seed counts up to 10,000, request bodies up to 1 MiB (413 beyond).
 */

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Vendor } from '../core/vendors.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Request bodies above this are refused (413): the largest real one, 2000 Mixpanel ids, is far below it. */
export const SANDBOX_MAX_BODY_BYTES = 1 << 20;
/** Most requests one `POST /_sandbox/seed` makes: enough for any demo, and a few MB of memory at most. */
export const SANDBOX_MAX_SEED = 10_000;

export interface SandboxOptions {
  port?: number;
  host?: string;
  /** Mixpanel requests allowed per second per project token (default 1, as documented). */
  mixpanelRequestsPerSecond?: number;
  /** LivePerson create requests per calendar month (default 100). */
  livePersonMonthlyQuota?: number;
  /** Mixpanel lifecycle offsets from creation (defaults: STAGING 1 h, STARTED 24 h, SUCCESS 48 h). */
  mixpanelTimeline?: { stagingAfterMs: number; startedAfterMs: number; successAfterMs: number };
  /** LivePerson: request turns final after (default 5 days), done after (default 6 days). */
  livePersonTimeline?: { finalAfterMs: number; doneAfterMs: number };
  /**
   * Lifetime of the LivePerson tokens it issues (OAuth 2.0 client credentials and Login Service bearers), on its own
   * clock (default 1 h): after it, the API answers 401, as LivePerson does to an expired token.
   */
  livePersonTokenTtlMs?: number;
  /** Keep `METHOD path` of every vendor request in `log` (tests; off by default so a long-running sandbox stays small). */
  recordRequests?: boolean;
}

interface MixpanelTask {
  id: string;
  createdAt: number;
  distinctIds: string[];
  complianceType: string;
  revoked: boolean;
  kind: 'deletion' | 'retrieval';
  /** The project token it was made with: other projects do not see it. Unset for tasks seeded for any project. */
  project?: string | undefined;
}

interface LivePersonRequest {
  id: number;
  siteId: string;
  createdAt: number;
  deleteJson: string;
  cancelledAt?: number;
}

export interface Sandbox {
  url: string;
  server: Server;
  /** Virtual now (ms since epoch). */
  now(): number;
  advance(ms: number): void;
  /**
   * Adds `count` requests made `ageMs` ago. `owner`: the LivePerson site (default 92186583), or the Mixpanel project
   * token that alone may see the tasks (default: every project).
   */
  seed(vendor: Vendor, count: number, ageMs?: number, owner?: string): string[];
  stats(): { requests: number; mixpanel429: number; livePerson429: number; livePersonTokens: number };
  /** From now on, requests bearing this Mixpanel OAuth token or LivePerson bearer token get 401. */
  revoke(credential: string): void;
  /** Every secret it handed out: LivePerson tokens, Login Service bearers and their csrf and wsuk values. */
  secretsIssued(): string[];
  /** `METHOD path` of every vendor request received, in order (with `recordRequests`). */
  log: string[];
  close(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const mpRps = options.mixpanelRequestsPerSecond ?? 1;
  const lpQuota = options.livePersonMonthlyQuota ?? 100;
  const mpT = options.mixpanelTimeline ?? { stagingAfterMs: HOUR, startedAfterMs: DAY, successAfterMs: 2 * DAY };
  const lpT = options.livePersonTimeline ?? { finalAfterMs: 5 * DAY, doneAfterMs: 6 * DAY };
  let offset = 0;
  const now = () => Date.now() + offset;
  const tasks = new Map<string, MixpanelTask>();
  const lpRequests = new Map<number, LivePersonRequest>();
  let nextLpId = 1000;
  const lpMonthCount = new Map<string, number>();
  const mpBuckets = new Map<string, { tokens: number; at: number }>();
  const counters = { requests: 0, mixpanel429: 0, livePerson429: 0, livePersonTokens: 0 };
  const tokenTtlMs = options.livePersonTokenTtlMs ?? HOUR;
  /** LivePerson tokens this sandbox issued, and when each expires (its clock). */
  const issuedTokens = new Map<string, number>();
  const sessionSecrets: string[] = [];

  const revoked = new Set<string>();
  const bearerOf = (req: IncomingMessage) => (req.headers.authorization ?? '').replace(/^Bearer /, '');
  const isRevoked = (req: IncomingMessage) => revoked.has(bearerOf(req));

  const mpStatus = (t: MixpanelTask): string => {
    if (t.revoked) return 'REVOKED';
    const age = now() - t.createdAt;
    if (age >= mpT.successAfterMs) return 'SUCCESS';
    if (age >= mpT.startedAfterMs) return 'STARTED';
    if (age >= mpT.stagingAfterMs) return 'STAGING';
    return 'PENDING';
  };
  const lpStatus = (r: LivePersonRequest): string => {
    if (r.cancelledAt !== undefined) return 'CANCELED';
    const age = now() - r.createdAt;
    if (age >= lpT.doneAfterMs) return 'DONE';
    if (age >= lpT.finalAfterMs) return 'IN_PROGRESS';
    return 'NOT_STARTED';
  };
  const iso = (ms: number) => new Date(ms).toISOString();
  const lpRecord = (r: LivePersonRequest) => ({
    request_id: r.id,
    siteid: r.siteId,
    request_time: iso(r.createdAt),
    requested_by: 'sandbox',
    cancelled_by: r.cancelledAt === undefined ? null : 'sandbox',
    cancel_timestamp: r.cancelledAt === undefined ? null : iso(r.cancelledAt),
    is_canceled: r.cancelledAt !== undefined,
    delete_json: r.deleteJson,
    status: lpStatus(r),
  });

  const newMixpanelTask = (
    distinctIds: string[],
    complianceType: string,
    kind: MixpanelTask['kind'],
    createdAt = now(),
    project?: string,
  ) => {
    const task = { id: randomUUID(), createdAt, distinctIds, complianceType, revoked: false, kind, project };
    tasks.set(task.id, task);
    return task;
  };
  const newLivePersonRequest = (siteId: string, deleteJson: string, createdAt = now()) => {
    const r = { id: nextLpId++, siteId, createdAt, deleteJson };
    lpRequests.set(r.id, r);
    return r;
  };

  const send = (res: ServerResponse, status: number, body?: unknown) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  function mixpanel(req: IncomingMessage, res: ServerResponse, url: URL, body: unknown) {
    const token = url.searchParams.get('token');
    if (!/^Bearer \S+/.test(req.headers.authorization ?? '') || !token) {
      return send(res, 401, { status: 'error', error: 'missing OAuth token or project token' });
    }
    if (isRevoked(req)) return send(res, 401, { status: 'error', error: 'OAuth token expired or revoked' });
    // Token bucket per project token: `mpRps` per second, bursts up to one second's worth.
    const t = performance.now();
    const bucket = mpBuckets.get(token) ?? { tokens: mpRps, at: t };
    bucket.tokens = Math.min(mpRps, bucket.tokens + ((t - bucket.at) / 1000) * mpRps);
    bucket.at = t;
    mpBuckets.set(token, bucket);
    if (bucket.tokens < 1) {
      counters.mixpanel429++;
      // Mixpanel's own words (mixpanel-api.md §9), with the rate this sandbox was given.
      return send(res, 429, { status: 'error', error: `Too Many Requests, this API is limited to ${mpRps} req/s` });
    }
    bucket.tokens -= 1;

    const path = url.pathname.replace(/^\/mixpanel/, '');
    // Both forms: the documented examples end in a slash, the OpenAPI file does not (vendor-assumptions.md).
    const m = /^\/data-(deletions|retrievals)\/v3\.0(?:\/([^/]+))?\/?$/.exec(path);
    if (!m) return send(res, 404, { status: 'error', error: 'no such route' });
    const kind = m[1] === 'deletions' ? 'deletion' : 'retrieval';
    let id: string | undefined;
    try {
      id = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
    } catch {
      return send(res, 400, { status: 'error', error: 'the path has an invalid percent-escape' });
    }
    if (req.method === 'POST' && id === undefined) {
      const b = (body ?? {}) as { distinct_ids?: unknown; compliance_type?: unknown };
      const ids = Array.isArray(b.distinct_ids) ? b.distinct_ids.filter((x): x is string => typeof x === 'string') : [];
      if (ids.length === 0) return send(res, 400, { status: 'error', error: 'distinct_ids is required' });
      if (kind === 'deletion') {
        const running = [...tasks.values()].filter(
          (t) =>
            t.kind === 'deletion' &&
            (t.project === undefined || t.project === token) &&
            !['REVOKED', 'SUCCESS', 'FAILURE'].includes(mpStatus(t)),
        );
        const conflictIds = ids.filter((d) => running.some((t) => t.distinctIds.includes(d)));
        if (conflictIds.length) {
          const taskIds = running.filter((t) => t.distinctIds.some((d) => conflictIds.includes(d))).map((t) => t.id);
          return send(res, 409, {
            status: 'error',
            error: { conflicting_distinct_ids: conflictIds, conflicting_task_ids: taskIds, error: 'already scheduled' },
          });
        }
      }
      const task = newMixpanelTask(ids, String(b.compliance_type ?? 'GDPR'), kind, now(), token);
      return send(res, 201, { status: 'ok', results: { task_id: task.id } });
    }
    if (id === undefined) return send(res, 405, { status: 'error', error: 'method not allowed' });
    const found = tasks.get(id);
    const task = found?.project === undefined || found.project === token ? found : undefined;
    if (req.method === 'GET') {
      if (kind === 'retrieval') {
        const status = task ? mpStatus(task) : 'NOT_FOUND';
        return send(res, 200, {
          status: 'ok',
          results: {
            status,
            results: status === 'SUCCESS' ? `https://sandbox.invalid/export/${id}.zip` : '',
            distinct_ids: task?.distinctIds ?? [],
          },
        });
      }
      return send(res, 200, {
        status: 'ok',
        results: {
          tracking_id: id,
          status: task ? mpStatus(task) : 'NOT_FOUND',
          requesting_user: 'sandbox@example.invalid',
          compliance_type: task?.complianceType ?? 'GDPR',
          project_id: 1,
          date_requested: iso(task?.createdAt ?? now()),
          distinct_ids: task?.distinctIds ?? [],
        },
      });
    }
    if (req.method === 'DELETE' && kind === 'deletion') {
      const status = task ? mpStatus(task) : 'NOT_FOUND';
      if (task && (status === 'PENDING' || status === 'STAGING')) {
        task.revoked = true;
        res.writeHead(204);
        return res.end();
      }
      return send(res, 405, { status: 'error', error: `task cannot be cancelled (status ${status})` });
    }
    return send(res, 405, { status: 'error', error: 'method not allowed' });
  }

  /** LivePerson's token endpoint (Sentinel, OAuth 2.0 client credentials) and Login Service, on this host. */
  function livePersonTokens(res: ServerResponse, path: string, body: unknown) {
    const b = (body ?? {}) as Record<string, unknown>;
    const issue = () => {
      const token = `sbx-${randomUUID()}`;
      issuedTokens.set(token, now() + tokenTtlMs);
      counters.livePersonTokens++;
      return token;
    };
    if (/^\/sentinel\/api\/v2\/account\/[a-zA-Z0-9_]{1,20}\/app\/token$/.test(path)) {
      if (b.grant_type !== 'client_credentials' || !b.client_id || !b.client_secret)
        return send(res, 400, { error: 'invalid_request', error_description: 'Problem with body or query parameters' });
      if (revoked.has(String(b.client_secret))) return send(res, 401, { error: 'invalid_client' });
      return send(res, 200, { access_token: issue(), token_type: 'Bearer', expires_in: Math.round(tokenTtlMs / 1000) });
    }
    if (!b.username || !b.password) return send(res, 400, { message: 'username and password are required' });
    if (revoked.has(String(b.password))) return send(res, 401, { message: 'wrong user name or password' });
    // As the Login Service: the session's csrf and wsuk come with the bearer, secrets as much as it is.
    const session = { bearer: issue(), csrf: randomUUID().replaceAll('-', ''), wsuk: randomUUID().replaceAll('-', '') };
    sessionSecrets.push(session.csrf, session.wsuk);
    return send(res, 200, { ...session, config: {} });
  }

  function liveperson(req: IncomingMessage, res: ServerResponse, url: URL, body: unknown) {
    const path = url.pathname.replace(/^\/liveperson/, '');
    if (req.method === 'POST' && (path.startsWith('/sentinel/') || /^\/api\/account\/[^/]+\/login$/.test(path)))
      return livePersonTokens(res, path, body);
    if (!/^(Bearer|OAuth) \S+/.test(req.headers.authorization ?? '') || isRevoked(req))
      return send(res, 401, { message: 'unauthorized' });
    const expiresAt = issuedTokens.get(bearerOf(req));
    if (expiresAt !== undefined && now() >= expiresAt) return send(res, 401, { message: 'token expired' });
    const m = /^\/api\/account\/([a-zA-Z0-9_]{1,20})\/personal-data-deletion(?:\/(\d+))?(\/cancel)?$/.exec(path);
    if (!m) return send(res, 404, { message: 'no such route' });
    const siteId = m[1] as string;
    const id = m[2] === undefined ? undefined : Number(m[2]);
    const record = id === undefined ? undefined : lpRequests.get(id);
    if (id === undefined && req.method === 'POST') {
      const month = `${siteId}:${iso(now()).slice(0, 7)}`;
      const used = lpMonthCount.get(month) ?? 0;
      if (used >= lpQuota) {
        counters.livePerson429++;
        return send(res, 429, { message: 'Requests threshold for current month was reached' });
      }
      lpMonthCount.set(month, used + 1);
      const r = newLivePersonRequest(siteId, JSON.stringify(body ?? {}));
      const { status: _s, ...created } = lpRecord(r);
      return send(res, 201, created);
    }
    if (id === undefined && req.method === 'GET') {
      const status = url.searchParams.get('status');
      const from = dateFilterMs(url.searchParams.get('fromDate'), 'start') ?? 0;
      const to = dateFilterMs(url.searchParams.get('toDate'), 'end') ?? now();
      const list = [...lpRequests.values()]
        .filter((r) => r.siteId === siteId && r.createdAt >= from && r.createdAt <= to)
        .map(lpRecord);
      return send(res, 200, status ? list.filter((r) => r.status === status) : list);
    }
    if (!record || record.siteId !== siteId) return send(res, 404, { message: `no deletion request ${id}` });
    if (m[3] && req.method === 'POST') {
      const status = lpStatus(record);
      if (status !== 'NOT_STARTED')
        return send(res, 409, { message: `request cannot be cancelled (status ${status})` });
      record.cancelledAt = now();
      const { status: _s, delete_json: _d, ...cancelled } = lpRecord(record);
      return send(res, 200, [cancelled]);
    }
    if (!m[3] && req.method === 'GET') return send(res, 200, [lpRecord(record)]);
    return send(res, 405, { message: 'method not allowed' });
  }

  function controlRoute(req: IncomingMessage, res: ServerResponse, url: URL, body: unknown) {
    const b = (body ?? {}) as Record<string, unknown>;
    if (url.pathname === '/_sandbox/clock' && req.method === 'POST') {
      offset += Number(b.advanceMs ?? 0);
      return send(res, 200, { now: iso(now()) });
    }
    if (url.pathname === '/_sandbox/seed' && req.method === 'POST') {
      const count = Number(b.count ?? 1);
      if (!Number.isInteger(count) || count < 1 || count > SANDBOX_MAX_SEED)
        return send(res, 400, { message: `count must be a whole number from 1 to ${SANDBOX_MAX_SEED}` });
      if (b.vendor !== 'mixpanel' && b.vendor !== 'liveperson')
        return send(res, 400, { message: 'vendor must be mixpanel or liveperson' });
      // the owner: a LivePerson site (default 92186583), or a Mixpanel project token (default: every project)
      const owner = b.vendor === 'liveperson' ? String(b.siteId ?? '92186583') : (b.project as string | undefined);
      const ids = sandbox.seed(b.vendor, count, Number(b.ageMs ?? 0), owner);
      return send(res, 200, { ids });
    }
    if (url.pathname === '/_sandbox/revoke' && req.method === 'POST') {
      sandbox.revoke(String(b.credential ?? ''));
      return send(res, 200, { revoked: revoked.size });
    }
    if (url.pathname === '/_sandbox/state' && req.method === 'GET')
      return send(res, 200, { now: iso(now()), ...sandbox.stats() });
    return send(res, 404, { message: 'no such control route' });
  }

  const log: string[] = [];
  /** The body as JSON, or an answer already sent: too large (413, reading stops there) or not JSON (400). */
  async function readBody(req: IncomingMessage, res: ServerResponse): Promise<{ body: unknown } | undefined> {
    const declared = Number(req.headers['content-length'] ?? 0);
    const tooLarge = () => {
      res.setHeader('connection', 'close'); // the rest of the body is not read
      send(res, 413, { status: 'error', error: `request bodies are limited to ${SANDBOX_MAX_BODY_BYTES} bytes` });
      return undefined;
    };
    if (declared > SANDBOX_MAX_BODY_BYTES) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > SANDBOX_MAX_BODY_BYTES) return tooLarge();
      chunks.push(c as Buffer);
    }
    const text = Buffer.concat(chunks).toString();
    if (/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? ''))
      return { body: Object.fromEntries(new URLSearchParams(text)) };
    try {
      return { body: chunks.length ? JSON.parse(text) : undefined };
    } catch {
      send(res, 400, { status: 'error', error: 'body is not JSON' });
      return undefined;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    counters.requests++;
    if (options.recordRequests && !req.url?.startsWith('/_sandbox/'))
      log.push(`${req.method} ${req.url?.split('?')[0]}`);
    const url = new URL(req.url ?? '/', 'http://sandbox');
    // A web page can send a simple cross-origin POST (text/plain) to loopback, but not one with this content type
    // without a CORS preflight, which the sandbox never grants: so no page the user visits can drive the sandbox.
    const control = url.pathname.startsWith('/_sandbox/');
    if (control && req.method !== 'GET' && !/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
      return send(res, 415, { message: 'control requests need content-type: application/json' });
    const read = await readBody(req, res);
    if (!read) return;
    if (url.pathname.startsWith('/mixpanel/')) return mixpanel(req, res, url, read.body);
    if (url.pathname.startsWith('/liveperson/')) return liveperson(req, res, url, read.body);
    if (control) return controlRoute(req, res, url, read.body);
    return send(res, 404, { message: 'unknown vendor prefix; use /mixpanel or /liveperson' });
  }

  const server = createServer((req, res) => {
    // Whatever a request holds, the sandbox answers it and stays up.
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) res.destroy();
      else send(res, 500, { message: `sandbox error: ${(err as Error)?.message ?? String(err)}` });
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', r));
  const { port, address } = server.address() as AddressInfo;

  const sandbox: Sandbox = {
    url: `http://${address}:${port}`,
    server,
    now,
    advance: (ms) => {
      offset += ms;
    },
    seed: (vendor, count, ageMs = 0, owner) => {
      // No upper cap here: in-process callers (tests, the benchmark) seed 100,000; HTTP callers are capped above.
      if (!Number.isInteger(count) || count < 0) throw new RangeError('seed count must be a whole number');
      return Array.from({ length: count }, (_, i) =>
        vendor === 'mixpanel'
          ? newMixpanelTask([`seed-${randomUUID()}`], 'GDPR', 'deletion', now() - ageMs, owner).id
          : String(
              newLivePersonRequest(owner ?? '92186583', JSON.stringify({ consumer: [`seed-${i}`] }), now() - ageMs).id,
            ),
      );
    },
    stats: () => ({ ...counters }),
    secretsIssued: () => [...issuedTokens.keys(), ...sessionSecrets],
    revoke: (credential) => {
      if (credential) revoked.add(credential);
    },
    log,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  return sandbox;
}

/**
 * A LivePerson list date filter in ms: `yyyy-mm-dd` (a whole UTC day, so `toDate` includes its day) or a unix
 * timestamp (seconds, or ms when that large). The spec documents both forms.
 */
function dateFilterMs(value: string | null, edge: 'start' | 'end'): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) < 1e12 ? Number(value) * 1000 : Number(value);
  const day = Date.parse(`${value}T00:00:00Z`);
  return Number.isNaN(day) ? undefined : edge === 'start' ? day : day + 86_400_000 - 1;
}
