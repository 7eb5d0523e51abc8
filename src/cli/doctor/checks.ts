/**
 * `doctor`'s checks for one account: where each credential came from, token age, the Domain API lookups and token
 * fetch (LivePerson), one authenticated read that creates and cancels nothing, the vendor's clock, the local quota
 * count. With `probe`, also the read-only forms of the open questions in docs/vendor-assumptions.md.
 */
import { randomUUID } from 'node:crypto';
import {
  AuthenticationError,
  ConnectionError,
  NotFoundError,
  PermissionDeniedError,
  PrivacyApiError,
  TimeoutError,
} from '../../core/errors.js';
import type { Redactor } from '../../core/redact.js';
import type { Account, LivePersonConnection, MixpanelConnection } from '../accounts/accounts.js';
import { mixpanelTokenExpiry } from '../accounts/accounts.js';
import { type ClientFlags, livePersonClient, mixpanelClient } from '../accounts/clients.js';
import { type Exchange, jsonBody, recordingFetch } from './exchanges.js';

export type CheckResult = 'ok' | 'warn' | 'fail' | 'skip';

export interface Check {
  account: string;
  check: string;
  result: CheckResult;
  detail: string;
  /** What to try when it failed. */
  hint?: string;
}

/** An open question about the vendor, and what the live API answered. */
export interface Finding {
  account: string;
  question: string;
  answer: string;
}

export interface AccountReport {
  checks: Check[];
  findings: Finding[];
  exchanges: Exchange[];
}

const CLOCK_TOLERANCE_MS = 5 * 60_000;

/** How a failed call reads in a checklist, with the likeliest way out. */
function failure(err: unknown, redactor: Redactor, hints: Partial<Record<'401' | '403' | '404' | 'network', string>>) {
  const e = err instanceof PrivacyApiError ? err : undefined;
  const detail = redactor.string(e ? `${e.name}${e.status ? ` (HTTP ${e.status})` : ''}: ${e.message}` : String(err));
  const hint =
    err instanceof AuthenticationError
      ? hints['401']
      : err instanceof PermissionDeniedError
        ? hints['403']
        : err instanceof NotFoundError
          ? hints['404']
          : err instanceof ConnectionError || err instanceof TimeoutError
            ? hints.network
            : undefined;
  return { result: 'fail' as const, detail, ...(hint ? { hint } : {}) };
}

/** The vendor's clock against ours, from the Date header of its last answer. */
function clockCheck(account: string, exchanges: Exchange[]): Check {
  const date = exchanges.findLast((e) => e.headers.get('date'))?.headers.get('date');
  const at = date ? Date.parse(date) : Number.NaN;
  if (Number.isNaN(at))
    return { account, check: 'clock', result: 'skip', detail: 'no Date header in the answers received' };
  const skew = Date.now() - at;
  const text = `local clock ${skew >= 0 ? 'ahead of' : 'behind'} the vendor by ${(Math.abs(skew) / 1000).toFixed(0)} s`;
  return Math.abs(skew) <= CLOCK_TOLERANCE_MS
    ? { account, check: 'clock', result: 'ok', detail: text }
    : {
        account,
        check: 'clock',
        result: 'fail',
        detail: text,
        hint: 'set the clock (NTP): cancel-window estimates and token expiry are computed from it',
      };
}

const origin = (url: string) => new URL(url).host;

/** One account's checks: what it needs, and with `probe` the open questions too. */
export type AccountCheck = (
  account: Account,
  flags: ClientFlags,
  redactor: Redactor,
  probe: boolean,
) => Promise<AccountReport>;

const start = (account: Account) => ({
  name: account.name,
  checks: [] as Check[],
  findings: [] as Finding[],
  exchanges: [] as Exchange[],
});

export const checkMixpanel: AccountCheck = async (account, flags, redactor, probe) => {
  const { name, checks, findings, exchanges } = start(account);
  const c = account.connect() as MixpanelConnection;
  checks.push({
    account: name,
    check: 'credentials',
    result: 'ok',
    detail: `project token from ${c.projectToken.from}; OAuth token from ${c.oauthToken.from}`,
  });
  const left = mixpanelTokenExpiry(c);
  checks.push(
    !left
      ? {
          account: name,
          check: 'token age',
          result: 'warn',
          detail: 'the day the OAuth token was made is not known, so neither is its expiry (one year after)',
          hint: 'set oauthTokenIssued in the account (or MIXPANEL_OAUTH_TOKEN_ISSUED), yyyy-mm-dd',
        }
      : {
          account: name,
          check: 'token age',
          result: left.daysLeft < 0 ? 'fail' : left.daysLeft < 30 ? 'warn' : 'ok',
          detail: `issued ${c.oauthTokenIssued}, ${left.daysLeft < 0 ? 'expired' : 'expires'} ${left.expiry.toISOString().slice(0, 10)} (${left.daysLeft} day(s) left)`,
          ...(left.daysLeft < 30
            ? { hint: 'a project owner or admin makes a new GDPR token under Profile & Preferences → Data & Privacy' }
            : {}),
        },
  );
  const client = mixpanelClient(account, c, { ...flags, fetch: recordingFetch(exchanges) });
  const id = randomUUID();
  const hints = {
    '401': `the OAuth token is expired, revoked or not a GDPR token (they last a year); or the project's data lives in another region than ${c.region}`,
    '403': `the token's user has no access to this project, the project token belongs to another project, or the project lives in another region than ${c.region}`,
    network: `no answer from ${c.baseUrl ?? `the ${c.region} region's host`}: wrong region or base URL, a proxy, or no network`,
  };
  let notFound: string | undefined;
  try {
    const d = await client.getDeletion(id);
    notFound = d.status === 'NOT_FOUND' ? 'HTTP 200 with status NOT_FOUND' : undefined;
    checks.push(
      notFound
        ? { account: name, check: 'authenticated read', result: 'ok', detail: `a random task id read: ${notFound}` }
        : {
            account: name,
            check: 'authenticated read',
            result: 'fail',
            detail: `a random task id read answered status ${d.status}, not NOT_FOUND`,
            hint: 'the base URL may not be Mixpanel (a proxy answering something else)',
          },
    );
  } catch (err) {
    if (err instanceof NotFoundError) {
      notFound = 'HTTP 404';
      checks.push({
        account: name,
        check: 'authenticated read',
        result: 'ok',
        detail: 'a random task id read: HTTP 404',
      });
    } else checks.push({ account: name, check: 'authenticated read', ...failure(err, redactor, hints) });
  }
  checks.push(clockCheck(name, exchanges));
  if (probe && notFound) {
    findings.push({ account: name, question: 'NOT_FOUND: as 200 or as 404?', answer: notFound });
    const other = c.trailingSlash === false;
    const flipped = mixpanelClient(
      account,
      { ...c, trailingSlash: other },
      { ...flags, fetch: recordingFetch(exchanges) },
    );
    let answer: string;
    try {
      const d = await flipped.getDeletion(id);
      answer = `HTTP 200, status ${d.status}`;
    } catch (err) {
      answer = err instanceof PrivacyApiError ? `${err.name}${err.status ? ` (HTTP ${err.status})` : ''}` : String(err);
    }
    findings.push({
      account: name,
      question: `trailing slash (status read only): ${other ? 'with' : 'without'} it, as well as ${other ? 'without' : 'with'}?`,
      answer: `${other ? 'with' : 'without'} the slash: ${answer}; ${other ? 'without' : 'with'} it: ${notFound} (POST and DELETE not probed)`,
    });
  }
  return { checks, findings, exchanges };
};

const isDomainLookup = (e: Exchange) => /\/service\/[^/]+\/baseURI\.json$/.test(new URL(e.url).pathname);
const isTokenEndpoint = (e: Exchange) => /\/app\/token$|\/login$/.test(new URL(e.url).pathname);

export const checkLivePerson: AccountCheck = async (account, flags, redactor, probe) => {
  const { name, checks, findings, exchanges } = start(account);
  const c = account.connect() as LivePersonConnection;
  checks.push({
    account: name,
    check: 'credentials',
    result: 'ok',
    detail: `site ${c.siteId}, ${c.authKind}: ${Object.entries(c.credentials)
      .map(([k, v]) => `${k} from ${v.from}`)
      .join(', ')}`,
  });
  const client = livePersonClient(c, { ...flags, fetch: recordingFetch(exchanges) }, name);
  const today = new Date().toISOString().slice(0, 10);
  let list: Awaited<ReturnType<typeof client.listDeletionRequests>> | undefined;
  let listError: unknown;
  try {
    list = await client.listDeletionRequests({ fromDate: today, toDate: today });
  } catch (err) {
    listError = err;
  }
  const lookups = exchanges.filter(isDomainLookup);
  if (lookups.length === 0)
    checks.push({
      account: name,
      check: 'Domain API',
      result: c.baseUrl || c.domain ? 'skip' : 'fail',
      detail: c.baseUrl || c.domain ? 'not used: the account sets its host' : 'no lookup was answered',
      ...(c.baseUrl || c.domain ? {} : { hint: 'no network to api.liveperson.net, or a proxy in the way' }),
    });
  for (const e of lookups) {
    const service = /\/service\/([^/]+)\//.exec(new URL(e.url).pathname)?.[1];
    const host = (jsonBody(e) as { baseURI?: string } | undefined)?.baseURI;
    checks.push(
      e.status === 200 && host
        ? { account: name, check: `Domain API ${service}`, result: 'ok', detail: `→ ${host}` }
        : {
            account: name,
            check: `Domain API ${service}`,
            result: 'fail',
            detail: `HTTP ${e.status}`,
            hint: 'the site id may be wrong (the Domain API knows every site)',
          },
    );
  }
  const tokenCalls = exchanges.filter(isTokenEndpoint);
  if (c.authKind === 'bearer' || c.authKind === 'oauth1')
    checks.push({ account: name, check: 'token fetch', result: 'skip', detail: `${c.authKind}: no token to fetch` });
  else if (tokenCalls.length === 0)
    checks.push({
      account: name,
      check: 'token fetch',
      result: 'fail',
      detail: 'no token endpoint was reached',
      hint: 'the Domain API lookup failed first, or no network',
    });
  for (const e of tokenCalls) {
    const body = jsonBody(e) as { expires_in?: number } | undefined;
    checks.push(
      e.status === 200
        ? {
            account: name,
            check: 'token fetch',
            result: 'ok',
            detail: `${c.authKind === 'login' ? 'Login Service' : 'client credentials'}: HTTP 200${body?.expires_in ? `, expires in ${body.expires_in} s` : ''}`,
          }
        : {
            account: name,
            check: 'token fetch',
            result: 'fail',
            detail: `HTTP ${e.status} from ${origin(e.url)}`,
            hint:
              c.authKind === 'login'
                ? 'wrong username or password, or the user is locked'
                : 'wrong client id or secret, or the app is not installed on this site',
          },
    );
  }
  checks.push(
    list
      ? {
          account: name,
          check: 'authenticated read',
          result: 'ok',
          detail: `${list.length} request(s) listed for ${today}`,
        }
      : {
          account: name,
          check: 'authenticated read',
          ...failure(listError, redactor, {
            '401':
              'the token was refused: expired or revoked, the app lacks the Data permission, or the API does not accept this kind of token',
            '403': 'the user or app lacks the Data permission on this site',
            '404': 'the site id may be wrong, or the host belongs to another region',
            network: 'no answer: the host (domain, region) may be wrong, or no network',
          }),
        },
  );
  checks.push(clockCheck(name, exchanges));
  const usage = client.quotaUsage();
  if (usage)
    checks.push({
      account: name,
      check: 'monthly quota (local)',
      result: usage.remaining === 0 ? 'warn' : 'ok',
      detail: `${usage.used} of ${usage.limit} creates counted for ${usage.month}, ${usage.remaining} left`,
    });
  if (probe && list) {
    if (c.authKind === 'clientCredentials')
      findings.push({
        account: name,
        question: 'does the deletion API accept an OAuth 2.0 client-credentials token?',
        answer: 'yes: the list was answered with it',
      });
    const first = list[0];
    if (first) {
      try {
        await client.getDeletionRequest(String(first.request_id));
        const body = jsonBody(exchanges[exchanges.length - 1] as Exchange);
        const record = Array.isArray(body) ? body[0] : body;
        const type = typeof (record as { request_id?: unknown } | undefined)?.request_id;
        findings.push({
          account: name,
          question: 'get by id: an object or an array? request_id: number or string?',
          answer: `${Array.isArray(body) ? `an array of ${body.length}` : 'an object'}; request_id is a ${type}`,
        });
      } catch (err) {
        findings.push({
          account: name,
          question: 'get by id: an object or an array?',
          answer: `the read failed: ${failure(err, redactor, {}).detail}`,
        });
      }
    } else
      findings.push({
        account: name,
        question: 'get by id: an object or an array?',
        answer: `not probed: no request was made on ${today}`,
      });
  }
  return { checks, findings, exchanges };
};
