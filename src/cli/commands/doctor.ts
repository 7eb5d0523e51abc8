/**
 * `privacy-deletions doctor`: for each account, a checklist of what a real run needs (credentials and where they
 * came from, token age, Domain API, token fetch, one authenticated read that creates and cancels nothing, the
 * vendor's clock, the local quota count), with a hint per failure. `--probe` also checks every answer against the
 * specs and tries the read-only forms of the open questions; `--record <dir>` saves the redacted exchanges.
 * Exit codes: 0 every check passed (and, with --probe, no drift), 1 any failed, 2 usage error.
 */
import { loadAccounts } from '../accounts/accounts.js';
import { cliRedactor } from '../accounts/secrets.js';
import { type AccountReport, type Check, checkLivePerson, checkMixpanel, type Finding } from '../doctor/checks.js';
import { type Fixture, fixtureOf, learnSecrets, writeFixtures } from '../doctor/exchanges.js';
import type { Drift } from '../doctor/spec-check.js';
import { pickAccount } from '../items.js';
import { accountFlagsOf, clientFlagsOf } from '../options.js';
import { printable } from '../terminal.js';
import { UsageError } from '../usage.js';

/** Drifts described one by one; the rest are counted. */
const MAX_DRIFTS_SHOWN = 50;

const ENV_PREFIX = { mixpanel: 'MIXPANEL_', liveperson: 'LIVEPERSON_' } as const;

export async function doctorCommand(o: Record<string, unknown>): Promise<number> {
  const redactor = cliRedactor();
  const accounts = loadAccounts(o.config as string | undefined, accountFlagsOf(o));
  const chosen =
    o.account === undefined
      ? accounts.list
      : [accounts.get(pickAccount(accounts, undefined, o.account as string))].filter((a) => a !== undefined);
  const probe = Boolean(o.probe);
  const flags = clientFlagsOf(o);
  const checks: Check[] = [];
  const findings: Finding[] = [];
  const reports: { account: string; vendor: string; report: AccountReport }[] = [];
  for (const account of chosen) {
    try {
      account.connect();
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      // Without a config file, a vendor the environment says nothing about is simply not in use here.
      const unused =
        account.origin === 'environment' &&
        !Object.keys(process.env).some((k) => k.startsWith(ENV_PREFIX[account.vendor]) && process.env[k]);
      checks.push({
        account: account.name,
        check: 'credentials',
        result: unused ? 'skip' : 'fail',
        detail: unused ? `no ${account.vendor} settings in the environment` : redactor.string(err.message),
      });
      continue;
    }
    const report = await (account.vendor === 'mixpanel' ? checkMixpanel : checkLivePerson)(
      account,
      flags,
      redactor,
      probe,
    );
    reports.push({ account: account.name, vendor: account.vendor, report });
    checks.push(...report.checks);
    findings.push(...report.findings);
  }

  const drifts: Drift[] = [];
  let driftCount = 0;
  const fixtures: Fixture[] = [];
  if (probe || o.record) {
    // Loaded here only: Ajv and the three specs are for this command alone.
    const { loadSpecOperations, operationOf, driftsOf } = await import('../doctor/spec-check.js');
    const operations = await loadSpecOperations();
    // Every token, session and cookie the exchanges carried is known before anything is described or recorded.
    for (const { report } of reports) learnSecrets(report.exchanges, redactor);
    for (const { account, vendor, report } of reports) {
      for (const e of report.exchanges) {
        const op = operationOf(operations, e);
        if (probe && op) {
          const found = driftsOf(op, e, account, redactor, MAX_DRIFTS_SHOWN - drifts.length);
          for (const d of found.drifts) drifts.push(d);
          driftCount += found.total;
        }
        fixtures.push(fixtureOf(e, { vendor, account, operation: op?.operationId ?? 'domain-api' }, redactor));
      }
    }
  }
  const files = o.record ? writeFixtures(o.record as string, fixtures) : [];

  const failed = checks.some((c) => c.result === 'fail') || driftCount > 0;
  if (o.json) {
    process.stdout.write(
      `${JSON.stringify({ ok: !failed, checks, ...(probe ? { findings, drifts, driftCount } : {}), ...(o.record ? { recorded: files } : {}) }, null, 2)}\n`,
    );
    return failed ? 1 : 0;
  }
  const out = (s: string) => process.stdout.write(`${printable(s)}\n`);
  const width = Math.max(7, ...checks.map((c) => c.account.length));
  out(`${'ACCOUNT'.padEnd(width)} ${'CHECK'.padEnd(22)} ${'RESULT'.padEnd(6)} DETAIL`);
  for (const c of checks) {
    out(`${c.account.padEnd(width)} ${c.check.padEnd(22)} ${c.result.toUpperCase().padEnd(6)} ${c.detail}`);
    if (c.hint && c.result !== 'ok') out(`${' '.repeat(width + 31)}hint: ${c.hint}`);
  }
  if (probe) {
    out('\nopen questions, as the live API answered them:');
    for (const f of findings) out(`  ${f.account}: ${f.question} ${f.answer}`);
    if (findings.length === 0) out('  (none could be probed)');
    out(`\ndrift from the specs: ${driftCount === 0 ? 'none' : `${driftCount}`}`);
    for (const d of drifts)
      out(
        `  ${d.account} ${d.operation} HTTP ${d.status} ${d.schemaPath}${d.instancePath ? ` at ${d.instancePath}` : ''}: expected ${d.expected}, got ${d.actual}`,
      );
    if (driftCount > drifts.length)
      out(`  … and ${driftCount - drifts.length} more (the first ${drifts.length} are shown)`);
  }
  if (o.record) out(`\nrecorded ${files.length} exchange(s) in ${o.record} (redacted)`);
  const counts = (['ok', 'warn', 'fail', 'skip'] as const).map(
    (r) => `${r} ${checks.filter((c) => c.result === r).length}`,
  );
  process.stderr.write(`${counts.join(', ')}${probe ? `; drift ${driftCount}` : ''}\n`);
  return failed ? 1 : 0;
}
