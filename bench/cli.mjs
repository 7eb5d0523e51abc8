// CLI benchmarks against the in-process sandbox: bulk throughput at a 50 req/s vendor limit, and peak memory for
// 100,000 input lines against 1,000, both measured in this one run.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox } from '../dist/src/sandbox/server.js';

const BIN = new URL('../dist/src/cli/bin.js', import.meta.url).pathname;
const PEAK = new URL('./peak-rss.mjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'pd-bench-'));
// Inputs of up to 100,000 lines and their journals: removed when the benchmark process ends.
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function run(script, args, env) {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [script, ...args], {
      env: { ...process.env, PRIVACY_DELETIONS_ALLOW_HOSTS: '127.0.0.1', ...env },
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    let fd3 = '';
    let stderr = '';
    child.stdio[3].on('data', (d) => {
      fd3 += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => (code === 0 ? res({ fd3, stderr }) : rej(new Error(`exit ${code}: ${stderr}`))));
  });
}

function writeInput(name, ids) {
  const file = join(dir, name);
  writeFileSync(file, `vendor,request_id\n${ids.map((id) => `mixpanel,${id}`).join('\n')}\n`);
  return file;
}

export async function cliThroughput(limit = 50, n = 500) {
  const sandbox = await startSandbox({ mixpanelRequestsPerSecond: limit });
  try {
    const env = {
      MIXPANEL_PROJECT_TOKEN: 'bench-project',
      MIXPANEL_OAUTH_TOKEN: 'bench-oauth',
      MIXPANEL_BASE_URL: `${sandbox.url}/mixpanel`,
    };
    const input = writeInput('throughput.csv', sandbox.seed('mixpanel', n));
    const arrivals = [];
    sandbox.server.on('request', () => arrivals.push(performance.now()));
    await run(BIN, ['cancel', '--input', input, '--rate-limit', String(limit), '--concurrency', '8', '--json'], env);
    const seconds = (arrivals[arrivals.length - 1] - arrivals[0]) / 1000;
    const rate = (arrivals.length - 1) / seconds;
    return { limit, requests: arrivals.length, rate, ratio: rate / limit, tooMany: sandbox.stats().mixpanel429 };
  } finally {
    await sandbox.close();
  }
}

export async function cliMemory(small = 1_000, large = 100_000) {
  const sandbox = await startSandbox({ mixpanelRequestsPerSecond: 1e9 });
  try {
    const env = {
      MIXPANEL_PROJECT_TOKEN: 'bench-project',
      MIXPANEL_OAUTH_TOKEN: 'bench-oauth',
      MIXPANEL_BASE_URL: `${sandbox.url}/mixpanel`,
    };
    const peak = async (n) => {
      const input = writeInput(`memory-${n}.csv`, sandbox.seed('mixpanel', n));
      const journal = join(dir, `memory-${n}.jsonl`);
      const args = [
        'cancel',
        '--input',
        input,
        '--rate-limit',
        '1000000',
        '--concurrency',
        '16',
        '--no-verify',
        '--json',
        '--journal',
        journal,
      ];
      return Number((await run(PEAK, args, env)).fd3.trim());
    };
    const smallRss = await peak(small);
    const largeRss = await peak(large);
    return { small, large, smallRss, largeRss, ratio: largeRss / smallRss };
  } finally {
    await sandbox.close();
  }
}

export function printCli(t, m) {
  console.log(`\nCLI bulk throughput against the sandbox limited to ${t.limit} req/s (client --rate-limit ${t.limit})`);
  console.log(
    `  ${t.requests} requests at ${t.rate.toFixed(1)} req/s = ${(t.ratio * 100).toFixed(1)} % of the limit (goal ≥ 90 %: ${t.ratio >= 0.9 ? 'met' : 'NOT met'}); 429 responses: ${t.tooMany}`,
  );
  console.log(`\nCLI peak RSS, cancel --input with --journal (real requests to the sandbox)`);
  console.log(
    `  ${m.small.toLocaleString('en')} lines: ${(m.smallRss / 2 ** 20).toFixed(1)} MiB; ${m.large.toLocaleString('en')} lines: ${(m.largeRss / 2 ** 20).toFixed(1)} MiB`,
  );
  console.log(`  ratio ${m.ratio.toFixed(3)} (goal ≤ 1.2: ${m.ratio <= 1.2 ? 'met' : 'NOT met'})`);
}
