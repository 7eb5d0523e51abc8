/**
 * The stateful sandbox reached through `prism proxy --errors`, one proxy per vendor spec: every request and answer is
 * validated against the specs on the way, so drift between the sandbox and the specs fails the test that met it.
 */
import { startVendorProxies } from '../../scripts/prism.mjs';
import { type Sandbox, type SandboxOptions, startSandbox } from '../../src/sandbox/server.js';

export interface SandboxBehindPrism {
  sandbox: Sandbox;
  /** Base URLs of the proxies, for `baseUrl` / `MIXPANEL_BASE_URL` / `LIVEPERSON_BASE_URL`. */
  mixpanelUrl: string;
  livePersonUrl: string;
  close(): Promise<void>;
}

export async function startSandboxBehindPrism(options: SandboxOptions): Promise<SandboxBehindPrism> {
  const sandbox = await startSandbox(options);
  const proxies = await startVendorProxies(sandbox.url);
  return {
    sandbox,
    mixpanelUrl: proxies.mixpanelUrl,
    livePersonUrl: proxies.livePersonUrl,
    close: async () => {
      for (const c of proxies.children) c.kill();
      await sandbox.close();
    },
  };
}
