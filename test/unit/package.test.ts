import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_TIMEOUT_MS as CLI_MAX_TIMEOUT_MS } from '../../src/cli/options.js';
import { MAX_TIMEOUT_MS } from '../../src/core/guards.js';
import { PACKAGE_VERSION, USER_AGENT } from '../../src/index.js';

describe('package metadata', () => {
  it('the User-Agent names the package and the version in package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(PACKAGE_VERSION).toBe(pkg.version);
    expect(USER_AGENT.startsWith(`${pkg.name}/${pkg.version} `)).toBe(true);
  });

  it('the Mixpanel vendor spec is byte-identical to the reference copy', () => {
    const ours = readFileSync(new URL('../../specs/mixpanel/gdpr.openapi.yaml', import.meta.url));
    const reference = new URL('../../../shared/reference/mixpanel/gdpr.openapi.yaml', import.meta.url);
    expect(ours.equals(readFileSync(reference))).toBe(true);
  });

  it("the CLI's --timeout limit (written out so --help loads no SDK module) is the SDK's", () => {
    expect(CLI_MAX_TIMEOUT_MS).toBe(MAX_TIMEOUT_MS);
  });
});
