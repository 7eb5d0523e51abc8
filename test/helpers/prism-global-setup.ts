/**
 * Starts one real Prism mock server per spec (request validation on, --errors) on free loopback ports and hands
 * their URLs to the tests. Prism is the pinned @stoplight/prism-cli 5.14.2 run as a child process, as users run it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    prismLivePerson: string;
    prismMixpanel: string;
  }
}

const root = resolve(import.meta.dirname, '../..');
export const SPECS = {
  prismLivePerson: 'specs/liveperson/personal-data-deletion.openapi.yaml',
  prismMixpanel: 'generated/mixpanel.openapi.yaml',
} as const;

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

/** Starts `prism <args>` and resolves once it listens; rejects with its output if it dies or takes > 45 s. */
export function startPrism(args: string[]): Promise<{ url: string; child: ChildProcess }> {
  return new Promise((res, rej) => {
    const child = spawn(resolve(root, 'node_modules/.bin/prism'), args, {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`prism did not start within 45 s:\n${output}`));
    }, 45_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = output.match(/Prism is listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m?.[1]) {
        clearTimeout(timer);
        res({ url: m[1], child });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`prism exited with ${code}:\n${output}`));
    });
  });
}

export default async function setup(project: TestProject) {
  const children: ChildProcess[] = [];
  for (const [key, spec] of Object.entries(SPECS) as [keyof typeof SPECS, string][]) {
    const port = await freePort();
    const { url, child } = await startPrism(['mock', spec, '--host', '127.0.0.1', '--port', String(port), '--errors']);
    children.push(child);
    project.provide(key, url);
  }
  return () => {
    for (const child of children) child.kill('SIGTERM');
  };
}
