/** The config file: checked whole against the shipped JSON Schema, every problem named with its line. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readConfigFile } from '../../src/cli/accounts/config-file.js';

const dir = mkdtempSync(join(tmpdir(), 'pd-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const write = (text: string) => {
  const path = join(dir, `c${n++}.json`);
  writeFileSync(path, text);
  return path;
};
const problems = (text: string) => {
  const path = write(text);
  try {
    readConfigFile(path);
  } catch (err) {
    return (err as Error).message.replaceAll(path, 'F');
  }
  throw new Error('accepted');
};

describe('readConfigFile', () => {
  it('reads a valid file with every kind of LivePerson sign-in', () => {
    const ref = { env: 'X' };
    const path = write(
      JSON.stringify({
        $schema: './node_modules/privacy-deletions/config.schema.json',
        accounts: {
          a: { vendor: 'mixpanel', region: 'in', projectToken: ref, oauthToken: { file: '/f' }, rateLimit: 2 },
          b: { vendor: 'liveperson', siteId: '1', auth: { clientCredentials: { clientId: ref, clientSecret: ref } } },
          c: { vendor: 'liveperson', siteId: '2', auth: { login: { username: ref, password: ref } } },
          d: { vendor: 'liveperson', siteId: '3', auth: { bearer: ref }, cancelWindowDays: 7 },
          'e.f-g_h': {
            vendor: 'liveperson',
            siteId: '4',
            auth: { oauth1: { consumerKey: ref, consumerSecret: ref, token: ref, tokenSecret: ref } },
          },
        },
      }),
    );
    expect([...readConfigFile(path).accounts.keys()]).toEqual(['a', 'b', 'c', 'd', 'e.f-g_h']);
  });

  it('names each problem with its line', () => {
    const text = [
      '{',
      '  "accounts": {',
      '    "ok": { "vendor": "mixpanel", "projectToken": { "env": "A", "file": "/b" }, "oauthToken": { "env": "B" } },',
      '    "-bad name": { "vendor": "mixpanel" },',
      '    "lp": { "vendor": "liveperson", "siteId": "1",',
      '            "auth": { "bearer": { "env": "T" }, "login": { "username": { "env": "U" } } } },',
      '    "x": { "vendor": "salesforce" },',
      '    "mp": { "vendor": "mixpanel", "region": "uk", "projectToken": "abc", "oauthToken": { "env": "C" } }',
      '  }',
      '}',
    ].join('\n');
    const message = problems(text);
    expect(message).toMatch(/^the config file has \d+ problem\(s\); nothing was sent:/);
    expect(message).toContain('F:3: accounts.ok.projectToken: give exactly one of "env" or "file"');
    expect(message).toContain('F:4: accounts.-bad name: account names are letters, digits');
    expect(message).toContain(
      'F:6: accounts.lp.auth: give exactly one of "clientCredentials", "login", "bearer" or "oauth1"',
    );
    expect(message).toContain('F:6: accounts.lp.auth.login: missing "password"');
    expect(message).toContain('F:7: accounts.x.vendor: must be one of "mixpanel", "liveperson"');
    expect(message).toContain('F:8: accounts.mp.region: must be one of "us", "eu", "in"');
    expect(message).toContain('F:8: accounts.mp.projectToken: a secret written into the config file');
  });

  it('says where JSON breaks, and that comments are not JSON', () => {
    expect(problems('{\n  "accounts": {\n    "a": { "vendor": "mixpanel", }\n  }\n}')).toMatch(/^F:3: not valid JSON/);
    expect(problems('// accounts\n{ "accounts": {} }')).toMatch(/^F:1: not valid JSON \(InvalidCommentToken\)/);
    expect(problems('{ "accounts": {} }')).toContain('F:1: accounts: must NOT have fewer than 1 properties');
  });
});
