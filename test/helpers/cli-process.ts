/** The built CLI (dist/src/cli/bin.js) run as a real process, its output collected. */
import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

export const BIN = join(resolve(import.meta.dirname, '../..'), 'dist/src/cli/bin.js');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Loopback, where the tests' sandbox and fault servers listen: credentials may go there (the CLI refuses hosts that
 * are not the vendor's unless allowed). A test of that refusal sets PRIVACY_DELETIONS_ALLOW_HOSTS to ''.
 */
export const ALLOW_LOOPBACK = { PRIVACY_DELETIONS_ALLOW_HOSTS: '127.0.0.1' };

/** Runs `command argv` with exactly `env` (plus PATH and {@link ALLOW_LOOPBACK}), stdin closed; resolves when it exits. */
export function runProcess(
  command: string,
  argv: string[],
  opts: { env: Record<string, string>; cwd?: string; onSpawn?: (c: ChildProcess) => void },
): Promise<Run> {
  return new Promise((res) => {
    const child = spawn(command, argv, {
      env: { PATH: process.env.PATH ?? '', ...ALLOW_LOOPBACK, ...opts.env },
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    opts.onSpawn?.(child);
    child.on('close', (code) => res({ code, stdout, stderr }));
  });
}

/**
 * The run with stderr's warnings about the allowed loopback host removed (the sandbox gets one per account on every
 * run; test/cli/safety.test.ts checks them), so tests can compare what else a command says.
 */
export async function withoutLoopbackWarnings(run: Promise<Run>): Promise<Run> {
  const r = await run;
  return {
    ...r,
    stderr: r.stderr.replace(/^warning: account \S+ sends its credentials to 127\.0\.0\.1:\d+ .*\n/gm, ''),
  };
}
