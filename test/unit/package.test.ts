import { createHash } from 'node:crypto';
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

  it('the Mixpanel vendor spec is byte-identical to the upstream file pinned in specs/mixpanel/upstream.json', () => {
    const ours = readFileSync(new URL('../../specs/mixpanel/gdpr.openapi.yaml', import.meta.url));
    const pin = JSON.parse(readFileSync(new URL('../../specs/mixpanel/upstream.json', import.meta.url), 'utf8'));
    // git's blob id as well as SHA-256: the blob id is what `git ls-tree` shows for the upstream commit
    const blob = createHash('sha1').update(`blob ${ours.length}\0`).update(ours).digest('hex');
    expect({ bytes: ours.length, sha256: createHash('sha256').update(ours).digest('hex'), gitBlob: blob }).toEqual({
      bytes: pin.bytes,
      sha256: pin.sha256,
      gitBlob: pin.gitBlob,
    });
  });

  it("the CLI's --timeout limit (written out so --help loads no SDK module) is the SDK's", () => {
    expect(CLI_MAX_TIMEOUT_MS).toBe(MAX_TIMEOUT_MS);
  });
});
