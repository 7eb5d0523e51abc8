/** `privacy-deletions sandbox`: the stateful local stand-in for both vendors, until Ctrl-C or SIGTERM. */
import { startSandbox } from '../../sandbox/server.js';

export async function sandboxCommand(o: {
  port: number;
  mixpanelRps: number;
  livepersonQuota: number;
  livepersonTokenTtl: number;
}): Promise<void> {
  const sb = await startSandbox({
    port: o.port,
    mixpanelRequestsPerSecond: o.mixpanelRps,
    livePersonMonthlyQuota: o.livepersonQuota,
    livePersonTokenTtlMs: o.livepersonTokenTtl * 1000,
  });
  process.stdout.write(
    `sandbox listening on ${sb.url}\n  Mixpanel base URL:   ${sb.url}/mixpanel\n  LivePerson base URL: ${sb.url}/liveperson\n` +
      '  credentials may go to it once allowed: export PRIVACY_DELETIONS_ALLOW_HOSTS=127.0.0.1 (or --allow-host 127.0.0.1)\n' +
      `  control (content-type: application/json): POST ${sb.url}/_sandbox/clock {"advanceMs":…}, POST ${sb.url}/_sandbox/seed {"vendor","count","ageMs","siteId" or "project"}\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => sb.close().then(resolve);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
