// Many accounts: one bulk cancel over 3 Mixpanel projects from a config file, against the sandbox limiting each
// project token to 1 request/s (as Mixpanel does). Accounts run side by side, so the run should send close to
// 3 requests/s overall (cancels and their verification reads), with no 429.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox } from '../dist/src/sandbox/server.js';

const BIN = new URL('../dist/src/cli/bin.js', import.meta.url).pathname;

export async function accountsThroughput(projects = 3, perProject = 15) {
  const dir = mkdtempSync(join(tmpdir(), 'pd-bench-accounts-'));
  const sandbox = await startSandbox({ mixpanelRequestsPerSecond: 1 });
  try {
    const accounts = {};
    const lines = ['vendor,account,request_id'];
    const env = {
      PATH: process.env.PATH,
      PRIVACY_DELETIONS_ALLOW_HOSTS: '127.0.0.1', // the sandbox
      MP_OAUTH: 'bench-oauth',
      XDG_STATE_HOME: join(dir, 'state'),
    };
    for (let p = 1; p <= projects; p++) {
      const token = `bench-project-${p}`;
      env[`MP_TOKEN_${p}`] = token;
      accounts[`project-${p}`] = {
        vendor: 'mixpanel',
        projectToken: { env: `MP_TOKEN_${p}` },
        oauthToken: { env: 'MP_OAUTH' },
        baseUrl: `${sandbox.url}/mixpanel`,
      };
      for (const id of sandbox.seed('mixpanel', perProject, 0, token)) lines.push(`mixpanel,project-${p},${id}`);
    }
    // One project after another in the file: the worst order for a run that would not keep accounts apart.
    const config = join(dir, 'privacy-deletions.config.json');
    writeFileSync(config, JSON.stringify({ accounts }));
    const input = join(dir, 'input.csv');
    writeFileSync(input, `${lines.join('\n')}\n`);
    const arrivals = [];
    sandbox.server.on('request', () => arrivals.push(performance.now()));
    const code = await new Promise((res) => {
      const child = spawn(process.execPath, [BIN, 'cancel', '--config', config, '--input', input, '--json'], {
        env,
        stdio: 'ignore',
      });
      child.on('close', res);
    });
    if (code !== 0) throw new Error(`the 3-project run exited ${code}`);
    // Each project's N requests take N one-second slots, the last one included: span + 1 s, not the span alone.
    const seconds = (arrivals[arrivals.length - 1] - arrivals[0]) / 1000 + 1;
    const rate = arrivals.length / seconds;
    return {
      projects,
      requests: arrivals.length,
      seconds,
      rate,
      ratio: rate / projects,
      tooMany: sandbox.stats().mixpanel429,
    };
  } finally {
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printAccounts(a) {
  console.log(
    `\nCLI bulk cancel over ${a.projects} Mixpanel projects (config file), sandbox limit 1 req/s per project`,
  );
  console.log(
    `  ${a.requests} requests (cancels + verification reads) in ${a.seconds.toFixed(1)} s = ${a.rate.toFixed(2)} req/s = ${a.ratio.toFixed(3)} × ${a.projects} req/s (goal ≥ 0.95: ${a.ratio >= 0.95 ? 'met' : 'NOT met'}); 429 responses: ${a.tooMany} (goal 0: ${a.tooMany === 0 ? 'met' : 'NOT met'})`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) printAccounts(await accountsThroughput());
