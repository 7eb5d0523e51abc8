/**
 * Where an account's credentials may go. A config file or an environment variable that names another host (a
 * `baseUrl`, LivePerson's `domain`, `sentinelBaseUrl`, `loginBaseUrl`) would hand the account's tokens to whoever
 * runs it, so only the vendor's own hosts are used unless the host is allowed explicitly: `--allow-host`,
 * PRIVACY_DELETIONS_ALLOW_HOSTS (comma-separated) or the config file's `allowHosts`. Each allowed host is named in
 * a warning on every run, so an override never goes unseen.
 */

import type { Vendor as CliVendor } from '../../core/vendors.js';
import { isLivePersonHost } from '../../liveperson/domain.js';
import { isMixpanelUrl } from '../../mixpanel/hosts.js';
import { UsageError } from '../usage.js';

/** The hosts allowed besides the vendors' own, and where the permission came from (said in the warning). */
export interface HostAllowance {
  hosts: string[];
  from: string;
}

const ALLOW_ENV = 'PRIVACY_DELETIONS_ALLOW_HOSTS';

/** `host`, `host:port` or a URL, lowercased to its host (with the port when one is given). */
const normalise = (entry: string) => {
  const text = entry.trim().toLowerCase();
  try {
    return /^[a-z]+:\/\//.test(text) ? new URL(text).host : text;
  } catch {
    return text;
  }
};

/** Every allowance in force: flags, the environment, the config file. */
export function hostAllowances(flags: string[] | undefined, configHosts: string[] | undefined, configPath?: string) {
  const out: HostAllowance[] = [];
  if (flags?.length) out.push({ hosts: flags.map(normalise), from: '--allow-host' });
  const env = process.env[ALLOW_ENV];
  if (env?.trim())
    out.push({
      hosts: env
        .split(',')
        .map(normalise)
        .filter((h) => h !== ''),
      from: ALLOW_ENV,
    });
  if (configHosts?.length) out.push({ hosts: configHosts.map(normalise), from: `allowHosts in ${configPath}` });
  return out;
}

/** The allowance admitting `host` (`name:port`): an entry with a port admits that port, one without admits any. */
function allowanceFor(host: string, allowances: HostAllowance[]): HostAllowance | undefined {
  const name = host.replace(/:\d+$/, '');
  return allowances.find((a) => a.hosts.some((h) => h === host || h === name));
}

const isVendorUrl = (vendor: CliVendor, url: string) => {
  if (vendor === 'mixpanel') return isMixpanelUrl(url);
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && isLivePersonHost(u.host);
  } catch {
    return false;
  }
};

const warned = new Set<string>();

/**
 * Refuses (UsageError) an account whose settings would send credentials to a host that is neither the vendor's nor allowed;
 * warns once per process about each allowed one. Returns the allowed hosts (the LivePerson client also accepts them
 * from its Domain API).
 */
export function checkDestinations(
  account: string,
  where: string,
  vendor: CliVendor,
  destinations: [setting: string, url: string][],
  allowances: HostAllowance[],
): string[] {
  const allowed: string[] = [];
  for (const [setting, url] of destinations) {
    if (isVendorUrl(vendor, url)) continue;
    let host: string;
    try {
      host = new URL(url).host.toLowerCase();
    } catch {
      throw new UsageError(`${where}: ${setting}: ${JSON.stringify(url)} is not a URL`);
    }
    const allowance = allowanceFor(host, allowances);
    if (!allowance)
      throw new UsageError(
        `${where}: ${setting} sends account ${account}'s credentials to ${host}, which is not a ${vendor === 'mixpanel' ? 'Mixpanel host (https://*.mixpanel.com)' : 'LivePerson host (https://*.liveperson.net)'}; ` +
          `nothing was sent. If that host is yours (a proxy, the sandbox), allow it with --allow-host ${host.replace(/:\d+$/, '')} or ${ALLOW_ENV}`,
      );
    allowed.push(host);
    const key = `${account} ${setting} ${host}`;
    if (!warned.has(key)) {
      warned.add(key);
      process.stderr.write(
        `warning: account ${account} sends its credentials to ${host} (${setting}), not a ${vendor} host: allowed by ${allowance.from}\n`,
      );
    }
  }
  return allowed;
}
