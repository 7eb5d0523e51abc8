/**
 * Starts one real Prism mock server per spec (request validation on, --errors) on free loopback ports and hands
 * their URLs to the tests. Prism is the pinned @stoplight/prism-cli 5.14.2 run as a child process, as users run it.
 */
import type { ChildProcess } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { LIVEPERSON_AUTH_SPEC, startPrism, VENDOR_SPECS } from '../../scripts/prism.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    prismLivePerson: string;
    prismLivePersonAuth: string;
    prismMixpanel: string;
  }
}

const SPECS = {
  prismLivePerson: VENDOR_SPECS.liveperson,
  prismLivePersonAuth: LIVEPERSON_AUTH_SPEC,
  prismMixpanel: VENDOR_SPECS.mixpanel,
} as const;

export default async function setup(project: TestProject) {
  const children: ChildProcess[] = [];
  for (const [key, spec] of Object.entries(SPECS) as [keyof typeof SPECS, string][]) {
    const { url, child } = await startPrism('mock', spec);
    children.push(child);
    project.provide(key, url);
  }
  return () => {
    for (const child of children) child.kill('SIGTERM');
  };
}
