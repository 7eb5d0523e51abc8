/**
 * The request registry on disk: SQLite through better-sqlite3 (WAL, so a cron job and a person can write at once;
 * every change in one transaction, so a crash leaves it as it was before or after). Subject ids are kept as salted
 * HMAC-SHA256 digests, never in plain text unless the caller asks for it, so the registry lets one look a person up
 * without listing anyone. Everything SQL-specific stays in this file, behind the asynchronous {@link RequestStore}
 * (request-store.ts), so a server database can implement the same interface for teams. better-sqlite3 is
 * synchronous: each method does its work at once and returns a settled Promise.
 */

import { createHmac } from 'node:crypto';
import { closeSync, constants, fchmodSync, fstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { RequestCreated } from '../core/registry.js';
import type { Vendor } from '../core/vendors.js';
import { osUser } from './actor.js';
import type {
  ClaimResult,
  OpenRegistryOptions,
  RegisteredRequest,
  RegistrationDetails,
  RequestStore,
  SplitState,
  SplitStep,
  StateChange,
} from './request-store.js';

const DAY_MS = 86_400_000;

/** Deadline order: requests without a window (Mixpanel) after every dated one; the same text in index and queries. */
const BY_DEADLINE = "COALESCE(window_closes_at, '9999-12-31'), requested_at";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS requests (
  id INTEGER PRIMARY KEY,
  vendor TEXT NOT NULL,
  account TEXT NOT NULL,
  request_id TEXT NOT NULL,
  requested_at TEXT NOT NULL,
  id_type TEXT NOT NULL,
  subject_count INTEGER NOT NULL,
  reason TEXT,
  ticket TEXT,
  actor TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'open',
  window_closes_at TEXT,
  vendor_status TEXT,
  status_read_at TEXT,
  UNIQUE (vendor, account, request_id)
);
CREATE TABLE IF NOT EXISTS subjects (
  subject TEXT NOT NULL,
  request INTEGER NOT NULL REFERENCES requests (id),
  PRIMARY KEY (subject, request)
) WITHOUT ROWID;
-- requests without a window (Mixpanel) sort after every dated one: the same expression in the index and the queries.
-- The index also covers every column a deadline list shows, so listing 100,000 reads the index alone, in order.
DROP INDEX IF EXISTS requests_by_deadline;
CREATE INDEX IF NOT EXISTS requests_by_deadline_listed
  ON requests (state, ${BY_DEADLINE},
    vendor, account, request_id, subject_count, ticket, actor, window_closes_at, vendor_status, status_read_at);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- a split's progress, step by step (plan, cancel sent and accepted, create sent, created, done): any later command
-- that meets an unfinished one finishes it or says what is left; spared holds the digests of the subjects it is for
CREATE TABLE IF NOT EXISTS splits (
  vendor TEXT NOT NULL,
  account TEXT NOT NULL,
  request_id TEXT NOT NULL,
  steps TEXT NOT NULL,
  others INTEGER,
  new_id TEXT,
  spared TEXT NOT NULL DEFAULT '[]',
  done INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (vendor, account, request_id)
);
-- short leases taken before anything is sent for a request: a second run meeting one reports the request busy
CREATE TABLE IF NOT EXISTS claims (
  vendor TEXT NOT NULL,
  account TEXT NOT NULL,
  request_id TEXT NOT NULL,
  holder TEXT NOT NULL,
  until TEXT NOT NULL,
  PRIMARY KEY (vendor, account, request_id)
);
`;

type Row = {
  vendor: Vendor;
  account: string;
  request_id: string;
  requested_at: string;
  id_type: string;
  subject_count: number;
  reason: string | null;
  ticket: string | null;
  actor: string;
  state: RegisteredRequest['state'];
  window_closes_at: string | null;
  vendor_status: string | null;
  status_read_at: string | null;
};

/** A deadline-list row in the column order of its query (read raw). */
type DeadlineRow = [
  Row['vendor'],
  string,
  string,
  string,
  number,
  string | null,
  string,
  string | null,
  string | null,
  string | null,
];

const fromRow = (r: Row): RegisteredRequest => ({
  vendor: r.vendor,
  account: r.account,
  requestId: r.request_id,
  requestedAt: r.requested_at,
  idType: r.id_type,
  subjectCount: r.subject_count,
  ...(r.reason === null ? {} : { reason: r.reason }),
  ...(r.ticket === null ? {} : { ticket: r.ticket }),
  actor: r.actor,
  state: r.state,
  ...(r.window_closes_at === null ? {} : { windowClosesAt: r.window_closes_at }),
  ...(r.vendor_status === null ? {} : { vendorStatus: r.vendor_status }),
  ...(r.status_read_at === null ? {} : { statusReadAt: r.status_read_at }),
});

/**
 * better-sqlite3 is an optional native module built at install: left out (`--omit=optional`, or a build that failed
 * without failing the install), skipped or held back (`--ignore-scripts`), or built for another Node, it fails with
 * a module-not-found, a list of paths or an ABI number. Say what to do instead.
 */
function nativeModuleProblem(err: unknown): Error | undefined {
  const message = (err as Error)?.message ?? '';
  if ((err as NodeJS.ErrnoException)?.code === 'MODULE_NOT_FOUND' && /better-sqlite3/.test(message))
    return new Error(
      'better-sqlite3 is not installed (an optional dependency of privacy-deletions, needed only by the registry): ' +
        'run `npm install better-sqlite3@12` in the project that installed privacy-deletions, with python3, make and g++ ' +
        'where no prebuilt binary can be downloaded',
      { cause: err },
    );
  if (!/bindings file|NODE_MODULE_VERSION|did not self-register|ELF/.test(message)) return undefined;
  return new Error(
    `better-sqlite3's native module is ${/NODE_MODULE_VERSION/.test(message) ? 'built for another Node' : 'not built'} ` +
      `(this is Node ${process.version}): run \`npm rebuild better-sqlite3\` in the project that installed privacy-deletions ` +
      `(an npm that holds back install scripts needs \`npm install-scripts approve better-sqlite3\` first)`,
    { cause: err },
  );
}

/** `PRAGMA application_id` of a registry ("PDRG"): a SQLite file made by another program is never taken over. */
const APPLICATION_ID = 0x50445247;
/** `PRAGMA user_version`: the schema's version; a registry made by a newer version of this package is refused. */
const SCHEMA_VERSION = 2; // 2: splits and claims
/** Every schema object a registry may hold (the old index is dropped on open); anything else was put there by hand. */
const OWN_OBJECTS = new Set([
  'requests',
  'subjects',
  'meta',
  'splits',
  'claims',
  'requests_by_deadline',
  'requests_by_deadline_listed',
]);
const SQLITE_HEADER = 'SQLite format 3\0';

/**
 * The registry file, made safe to open: never a URI (SQLite would take `file:…?mode=memory` as one and keep nothing),
 * never through a symbolic link, only a regular file; created owner-only (0600: a plain-subject registry lists people),
 * an existing one made owner-only too.
 */
function prepareFile(path: string): void {
  if (/^file:/i.test(path) || path === ':memory:' || path === '')
    throw new Error('the registry is a file path, not a SQLite URI or :memory: (it would keep nothing)');
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP')
      throw new Error(`${path} is a symbolic link; give the registry file itself`, { cause: err });
    throw err;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error(`${path} is not a regular file`);
    if (stat.size > 0) {
      const head = Buffer.alloc(16);
      readSync(fd, head, 0, 16, 0);
      if (head.toString('latin1') !== SQLITE_HEADER) throw new Error(`${path} is not a registry (not a SQLite file)`);
    }
    if ((stat.mode & 0o077) !== 0) fchmodSync(fd, 0o600);
  } finally {
    closeSync(fd);
  }
}

/**
 * Refuses a SQLite file that is not a registry of this package, or holds objects it never makes (a trigger planted
 * in the file would run with every change); run before anything is written, so another program's file is left as it
 * was.
 */
function checkOwnSchema(db: BetterSqlite3.Database, path: string): void {
  const appId = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  const objects = db.prepare("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_autoindex_%'").all() as {
    type: string;
    name: string;
  }[];
  if (appId !== APPLICATION_ID && appId !== 0)
    throw new Error(`${path} belongs to another program (SQLite application_id ${appId}); it is not a registry`);
  if (appId === 0 && objects.length > 0 && !objects.some((o) => o.name === 'meta' && o.type === 'table'))
    throw new Error(`${path} is a SQLite database of another program, not a registry; give another path`);
  if (version > SCHEMA_VERSION)
    throw new Error(
      `${path} was made by a newer version of privacy-deletions (registry format ${version}, this one reads ${SCHEMA_VERSION}); upgrade to open it`,
    );
  const foreign = objects.filter((o) => !OWN_OBJECTS.has(o.name) || o.type === 'trigger' || o.type === 'view');
  if (foreign.length)
    throw new Error(
      `${path} holds ${foreign.map((o) => `${o.type} ${JSON.stringify(o.name)}`).join(', ')}, which a registry never has (planted, or another program's); refusing to use it`,
    );
}

/** Opens (creating if needed) the registry at `path`. */
export function openRegistry(path: string, options: OpenRegistryOptions): RequestStore {
  if (!options.salt) throw new Error('the registry needs a salt for its subject digests');
  let Database: typeof BetterSqlite3;
  try {
    Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  } catch (err) {
    throw nativeModuleProblem(err) ?? err;
  }
  prepareFile(path);
  let db: BetterSqlite3.Database;
  try {
    db = new Database(path, { fileMustExist: true }); // loads the native module on first use
  } catch (err) {
    throw nativeModuleProblem(err) ?? err;
  }
  try {
    db.pragma('busy_timeout = 10000'); // another process writing: wait, do not fail
    // Before any statement reads the schema: functions with side effects never run from a view or trigger.
    db.pragma('trusted_schema = OFF');
    checkOwnSchema(db, path);
  } catch (err) {
    db.close();
    throw err;
  }
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL'); // a create the vendor accepted must survive a power cut once recorded
  db.pragma('foreign_keys = ON');
  db.exec(SCHEMA);
  // written once (each write takes the write lock): a registry made before these marks gets them on its next open
  if (db.pragma('application_id', { simple: true }) !== APPLICATION_ID) db.pragma(`application_id = ${APPLICATION_ID}`);
  if (db.pragma('user_version', { simple: true }) !== SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  // The digest scheme is fixed per registry: a different salt would silently find nobody.
  const scheme = options.plainSubjects
    ? 'plain'
    : `hmac-sha256:${createHmac('sha256', options.salt).update('privacy-deletions registry').digest('hex').slice(0, 12)}`;
  const existing = db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get('subject-scheme') as
    | string
    | undefined;
  if (existing === undefined) db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('subject-scheme', scheme);
  else if (existing !== scheme) {
    db.close();
    throw new Error(
      `the registry ${path} keeps subjects as ${existing === 'plain' ? 'plain text' : 'digests with another salt'}; open it with the same salt and setting it was made with`,
    );
  }
  const key = (subject: string) =>
    options.plainSubjects
      ? `plain:${subject}`
      : `hmac:${createHmac('sha256', options.salt).update(subject).digest('hex').slice(0, 32)}`;

  const insertRequest = db.prepare(
    `INSERT INTO requests (vendor, account, request_id, requested_at, id_type, subject_count, reason, ticket, actor, window_closes_at)
     VALUES (@vendor, @account, @requestId, @requestedAt, @idType, @subjectCount, @reason, @ticket, @actor, @windowClosesAt)
     ON CONFLICT (vendor, account, request_id) DO NOTHING`,
  );
  const requestRowId = db
    .prepare('SELECT id FROM requests WHERE vendor = ? AND account = ? AND request_id = ?')
    .pluck();
  const insertSubject = db.prepare('INSERT OR IGNORE INTO subjects (subject, request) VALUES (?, ?)');
  const register = db.transaction((created: RequestCreated, details: RegistrationDetails) => {
    const windowClosesAt =
      created.vendor === 'liveperson'
        ? new Date(Date.parse(created.requestedAt) + (details.cancelWindowMs ?? 5 * DAY_MS)).toISOString()
        : null;
    insertRequest.run({
      ...created,
      subjectCount: new Set(created.subjects).size,
      reason: details.reason ?? null,
      ticket: details.ticket ?? null,
      actor: details.actor,
      windowClosesAt,
    });
    const id = requestRowId.get(created.vendor, created.account, created.requestId) as number;
    for (const s of created.subjects) insertSubject.run(key(s), id);
  });
  // Every statement but `holding` (its IN list varies) is prepared once: update and get run once per request of a run.
  const listOpen = db.prepare(`SELECT * FROM requests WHERE state = 'open' ORDER BY ${BY_DEADLINE}`);
  const listDeadlines = db
    .prepare(
      `SELECT vendor, account, request_id, requested_at, subject_count, ticket, actor, window_closes_at, vendor_status,
       status_read_at FROM requests WHERE state = 'open' ORDER BY ${BY_DEADLINE}`,
    )
    .raw();
  const getRequest = db.prepare('SELECT * FROM requests WHERE vendor = ? AND account = ? AND request_id = ?');
  const updateRequest = db.prepare(
    // superseded (a split replaced it) stays so: a later status read of the old request must not hide the split
    `UPDATE requests SET state = CASE WHEN state = 'superseded' THEN state ELSE COALESCE(@state, state) END,
       vendor_status = COALESCE(@vendorStatus, vendor_status),
       status_read_at = CASE WHEN @vendorStatus IS NULL THEN status_read_at ELSE @now END
     WHERE vendor = @vendor AND account = @account AND request_id = @requestId`,
  );
  const subjectsOfRequest = db.prepare('SELECT subject FROM subjects WHERE request = ?').pluck();
  const holdsSubject = db.prepare('SELECT 1 FROM subjects WHERE subject = ? AND request = ?');
  const actor = options.actor ?? osUser();

  type Change = { state?: RegisteredRequest['state'] | undefined; vendorStatus?: string | undefined };
  /** Applies a change to a request known to be in `from`; the state it is in afterwards (superseded stays so). */
  const changeFrom = (vendor: string, account: string, requestId: string, from: Row['state'], change: Change) => {
    updateRequest.run({
      vendor,
      account,
      requestId,
      state: change.state ?? null,
      vendorStatus: change.vendorStatus ?? null,
      now: new Date().toISOString(),
    });
    return from === 'superseded' ? from : (change.state ?? from);
  };
  /** What a change did to a request; undefined when the request is not registered. */
  const applyUpdate = (vendor: string, account: string, requestId: string, change: Change): StateChange | undefined => {
    const before = getRequest.get(vendor, account, requestId) as Row | undefined;
    if (!before) return undefined;
    const to = changeFrom(vendor, account, requestId, before.state, change);
    return {
      vendor: before.vendor,
      account,
      requestId,
      from: before.state,
      to,
      ...(change.vendorStatus === undefined ? {} : { vendorStatus: change.vendorStatus }),
    };
  };
  const updateOne = db.transaction(applyUpdate);
  // One read per entry: the state before tells both what it was and, with the change, what it is now.
  const registerAll = db.transaction((entries: [RequestCreated, RegistrationDetails][]) =>
    entries.map(([created, details]): StateChange => {
      const { vendor, account, requestId } = created;
      const before = getRequest.get(vendor, account, requestId) as Row | undefined;
      register(created, details);
      const current = before?.state ?? 'open';
      const read = details.state !== undefined || details.vendorStatus !== undefined;
      return {
        vendor,
        account,
        requestId,
        from: before?.state,
        to: read ? changeFrom(vendor, account, requestId, current, details) : current,
        ...(details.vendorStatus === undefined ? {} : { vendorStatus: details.vendorStatus }),
      };
    }),
  );

  const getSplit = db.prepare('SELECT * FROM splits WHERE vendor = ? AND account = ? AND request_id = ?');
  const upsertSplit = db.prepare(
    `INSERT INTO splits (vendor, account, request_id, steps, others, new_id, spared, done)
     VALUES (@vendor, @account, @requestId, @steps, @others, @newId, @spared, @done)
     ON CONFLICT (vendor, account, request_id) DO UPDATE SET steps = @steps, others = COALESCE(@others, others),
       new_id = COALESCE(@newId, new_id), spared = @spared, done = @done`,
  );
  const listUnfinished = db.prepare('SELECT * FROM splits WHERE done = 0 ORDER BY rowid');
  type SplitRow = {
    vendor: RegisteredRequest['vendor'];
    account: string;
    request_id: string;
    steps: string;
    others: number | null;
    new_id: string | null;
    spared: string;
  };
  const fromSplitRow = (r: SplitRow): SplitState => ({
    vendor: r.vendor,
    account: r.account,
    requestId: r.request_id,
    steps: JSON.parse(r.steps),
    ...(r.others === null ? {} : { others: r.others }),
    ...(r.new_id === null ? {} : { newId: r.new_id }),
    spared: JSON.parse(r.spared),
  });
  const recordStep = db.transaction(
    (
      vendor: string,
      account: string,
      requestId: string,
      step: SplitStep,
      extra: { spared?: string[]; others?: number; newId?: string },
    ) => {
      const row = getSplit.get(vendor, account, requestId) as SplitRow | undefined;
      const before = row ? fromSplitRow(row) : undefined;
      const spared = [...new Set([...(before?.spared ?? []), ...(extra.spared ?? []).map(key)])];
      upsertSplit.run({
        vendor,
        account,
        requestId,
        steps: JSON.stringify([...(before?.steps ?? []), { step, at: new Date().toISOString() }]),
        others: extra.others ?? null,
        newId: extra.newId ?? null,
        spared: JSON.stringify(spared),
        done: step === 'done' ? 1 : 0,
      });
    },
  );
  const getClaim = db.prepare('SELECT holder, until FROM claims WHERE vendor = ? AND account = ? AND request_id = ?');
  const putClaim = db.prepare(
    `INSERT INTO claims (vendor, account, request_id, holder, until) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (vendor, account, request_id) DO UPDATE SET holder = excluded.holder, until = excluded.until`,
  );
  const dropClaim = db.prepare('DELETE FROM claims WHERE vendor = ? AND account = ? AND request_id = ? AND holder = ?');
  const takeClaim = db.transaction(
    (
      vendor: string,
      account: string,
      requestId: string,
      holder: string,
      leaseMs: number,
      takeOverFrom: string | undefined,
    ): ClaimResult => {
      const now = Date.now();
      const held = getClaim.get(vendor, account, requestId) as { holder: string; until: string } | undefined;
      if (held && held.holder !== holder && held.holder !== takeOverFrom && Date.parse(held.until) > now)
        return { taken: false, holder: held.holder, until: held.until };
      putClaim.run(vendor, account, requestId, holder, new Date(now + leaseMs).toISOString());
      return { taken: true };
    },
  );

  // better-sqlite3 is synchronous: each method does its work now and hands back a settled Promise.
  return {
    // IMMEDIATE: the write lock is taken at BEGIN, so a read inside cannot meet a snapshot another writer has moved
    // on from (SQLITE_BUSY at once, whatever the busy timeout)
    register: async (created, details) => {
      registerAll.immediate([[created, details]]);
    },
    registerMany: async (entries) => registerAll.immediate(entries),
    record: async (created) => {
      registerAll.immediate([[created, { actor }]]);
    },
    async holding(subjects) {
      const keys = [...new Set(subjects)].map(key);
      if (keys.length === 0) return [];
      const rows = db
        .prepare(
          `SELECT r.*, COUNT(*) AS matched FROM subjects s JOIN requests r ON r.id = s.request
           WHERE s.subject IN (${keys.map(() => '?').join(',')}) AND r.state = 'open'
           GROUP BY r.id ORDER BY ${BY_DEADLINE}`,
        )
        .all(...keys) as (Row & { matched: number })[];
      return rows.map((r) => ({ request: fromRow(r), matched: r.matched }));
    },
    open: async () => (listOpen.all() as Row[]).map(fromRow),
    async *deadlines() {
      // raw rows (arrays) step about twice as fast as objects at 100,000
      for (const r of listDeadlines.iterate() as IterableIterator<DeadlineRow>) {
        const [vendor, account, requestId, requestedAt, subjectCount, ticket, actor, closes, status, readAt] = r;
        yield {
          vendor,
          account,
          requestId,
          requestedAt,
          subjectCount,
          ...(ticket === null ? {} : { ticket }),
          actor,
          ...(closes === null ? {} : { windowClosesAt: closes }),
          ...(status === null ? {} : { vendorStatus: status }),
          ...(readAt === null ? {} : { statusReadAt: readAt }),
        };
      }
    },
    async get(vendor, account, requestId) {
      const row = getRequest.get(vendor, account, requestId) as Row | undefined;
      return row ? fromRow(row) : undefined;
    },
    update: async (vendor, account, requestId, change) => updateOne.immediate(vendor, account, requestId, change),
    async subjectsOf(vendor, account, requestId) {
      if (!options.plainSubjects) return undefined;
      const id = requestRowId.get(vendor, account, requestId) as number | undefined;
      if (id === undefined) return undefined;
      return (subjectsOfRequest.all(id) as string[]).map((k) => k.slice('plain:'.length));
    },
    async holds(vendor, account, requestId, subject) {
      const id = requestRowId.get(vendor, account, requestId) as number | undefined;
      if (id === undefined) return false;
      return holdsSubject.get(key(subject), id) !== undefined;
    },
    recordSplitStep: async (vendor, account, requestId, step, extra = {}) => {
      recordStep.immediate(vendor, account, requestId, step, extra);
    },
    async splitOf(vendor, account, requestId) {
      const row = getSplit.get(vendor, account, requestId) as SplitRow | undefined;
      return row ? fromSplitRow(row) : undefined;
    },
    unfinishedSplits: async () => (listUnfinished.all() as SplitRow[]).map(fromSplitRow),
    spares: (split, subject) => split.spared.includes(key(subject)),
    // IMMEDIATE: two runs reading the same free claim cannot both take it
    claim: async (vendor, account, requestId, holder, leaseMs, takeOverFrom) =>
      takeClaim.immediate(vendor, account, requestId, holder, leaseMs, takeOverFrom),
    release: async (vendor, account, requestId, holder) => {
      dropClaim.run(vendor, account, requestId, holder);
    },
    close: async () => {
      db.close();
    },
  };
}
