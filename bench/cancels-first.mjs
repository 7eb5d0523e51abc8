// Cancels go out first: a bulk run of N Mixpanel cancels against the sandbox at a strict 1 request/s, verification
// reads included. Every cancel is sent before any verification read, with the limiter's spacing margin, so the last
// cancel should leave about N seconds after the start (not 2N, as when reads and cancels shared the second), with no
// 429 and nothing failed.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox } from '../dist/src/sandbox/server.js';

const BIN = new URL('../dist/src/cli/bin.js', import.meta.url).pathname;

export async function cancelsFirst(n = 60) {
  const dir = mkdtempSync(join(tmpdir(), 'pd-bench-first-'));
  const sandbox = await startSandbox({ mixpanelRequestsPerSecond: 1 });
  try {
    const input = join(dir, 'input.csv');
    writeFileSync(
      input,
      `vendor,request_id\n${sandbox
        .seed('mixpanel', n)
        .map((id) => `mixpanel,${id}`)
        .join('\n')}\n`,
    );
    const deletes = [];
    sandbox.server.on('request', (req) => {
      if (req.method === 'DELETE') deletes.push(performance.now());
    });
    const env = {
      PATH: process.env.PATH,
      PRIVACY_DELETIONS_ALLOW_HOSTS: '127.0.0.1', // the sandbox
      MIXPANEL_PROJECT_TOKEN: 'bench-first',
      MIXPANEL_OAUTH_TOKEN: 'bench-first-oauth',
      MIXPANEL_BASE_URL: `${sandbox.url}/mixpanel`,
      XDG_STATE_HOME: join(dir, 'state'),
    };
    const started = performance.now();
    let stdout = '';
    await new Promise((res) => {
      const child = spawn(process.execPath, [BIN, 'cancel', '--input', input, '--json'], { env });
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      child.on('close', res);
    });
    const ended = performance.now();
    const receipts = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const lastCancel = (deletes[deletes.length - 1] - started) / 1000;
    return {
      n,
      lastCancel,
      ratio: lastCancel / n,
      total: (ended - started) / 1000,
      tooMany: sandbox.stats().mixpanel429,
      failed: receipts.filter((r) => r.outcome !== 'cancelled' || r.verified !== true).length,
      cancels: deletes.length,
    };
  } finally {
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printCancelsFirst(r) {
  console.log(`\nCancels first: ${r.n} Mixpanel cancels with verification, sandbox strict at 1 req/s`);
  console.log(
    `  last cancel sent ${r.lastCancel.toFixed(1)} s after start = ${r.ratio.toFixed(3)} × N/rate (goal ≤ 1.05: ${r.ratio <= 1.05 ? 'met' : 'NOT met'}); ` +
      `all verified by ${r.total.toFixed(1)} s; 429 responses: ${r.tooMany}; DELETEs sent: ${r.cancels}; not cancelled+verified: ${r.failed} (goal 0 and 0: ${r.tooMany === 0 && r.failed === 0 ? 'met' : 'NOT met'})`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) printCancelsFirst(await cancelsFirst());
