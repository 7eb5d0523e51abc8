import type { ChildProcess } from 'node:child_process';

export function freePort(): Promise<number>;
/** `prism <mode> <spec> [upstream] --errors` on a free loopback port; resolves once it listens. */
export function startPrism(
  mode: 'mock' | 'proxy',
  spec: string,
  upstream?: string,
): Promise<{ url: string; child: ChildProcess }>;

export const VENDOR_SPECS: { mixpanel: string; liveperson: string };
/** One `prism proxy --errors` per vendor spec in front of a sandbox's /mixpanel and /liveperson prefixes. */
export function startVendorProxies(
  sandboxUrl: string,
): Promise<{ mixpanelUrl: string; livePersonUrl: string; children: ChildProcess[] }>;
/** LivePerson's token endpoints spec (client credentials, Login Service): mocked in contract tests. */
export const LIVEPERSON_AUTH_SPEC: string;
