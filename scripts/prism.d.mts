import type { ChildProcess } from 'node:child_process';

export function freePort(): Promise<number>;
/** `prism <mode> <spec> [upstream] --errors` on a free loopback port; resolves once it listens. */
export function startPrism(
  mode: 'mock' | 'proxy',
  spec: string,
  upstream?: string,
): Promise<{ url: string; child: ChildProcess }>;
