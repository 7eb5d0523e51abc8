/**
 * The documentation as a reader gets it: `scripts/build-docs.mjs` (npm run docs) builds the SDK reference and both
 * vendor API pages, and a headless Chromium (test/helpers/browser.ts: the one `npm ci` brings, or Debian's), with no
 * network beyond files, opens each. Every operation of each spec and every SDK client method must be on its page, with an example per method, and no page may try to load
 * anything from the network. A screenshot of each page is kept in .tmp/docs-test/.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createLivePersonClient, createMixpanelClient } from '../../src/index.js';
import { launchChromium } from '../helpers/browser.js';

const root = resolve(import.meta.dirname, '../..');
const work = join(root, '.tmp', 'docs-test');
const docs = join(work, 'docs');
let browser: Browser;

beforeAll(async () => {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  await promisify(execFile)(process.execPath, [join(root, 'scripts/build-docs.mjs'), docs], { cwd: root });
  browser = await launchChromium();
}, 120_000);
afterAll(() => browser?.close());

/**
 * Opens a built page from disk, clicks open the named sidebar groups (as a reader would), and returns its visible
 * text and every request it made that was not to a file.
 */
async function open(relative: string, screenshot: string, expand: string[] = []) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const network: string[] = [];
  page.on('request', (r) => {
    if (!/^(file|data|about|blob):/.test(r.url())) network.push(r.url());
  });
  await page.goto(pathToFileURL(join(docs, relative)).href, { waitUntil: 'load' });
  // rendered, and no longer Redoc's "Loading..." (a string: the tests' type-check has no DOM lib)
  const rendered = "document.body.innerText.length > 500 && !document.body.innerText.includes('Loading...')";
  await page.waitForFunction(rendered, undefined, { timeout: 20_000 });
  for (const group of expand) {
    await page.getByText(group, { exact: true }).first().click();
    await page.waitForTimeout(300);
  }
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is the point: what a reader sees, not hidden markup
  const text = await page.innerText('body');
  await page.screenshot({ path: join(work, screenshot), fullPage: false });
  await page.close();
  return { text, network };
}

/** `summary` of every operation in a spec, and the tags that group them in the sidebar. */
function operations(specPath: string): { summaries: string[]; tags: string[] } {
  const spec = parse(readFileSync(join(root, specPath), 'utf8')) as {
    paths: Record<string, Record<string, { summary?: string; operationId?: string; tags?: string[] }>>;
  };
  const ops = Object.values(spec.paths).flatMap((item) =>
    Object.entries(item).filter(([method]) => ['get', 'post', 'put', 'delete', 'patch'].includes(method)),
  );
  return {
    summaries: ops.map(([method, op]) => op.summary ?? op.operationId ?? method),
    tags: [...new Set(ops.flatMap(([, op]) => op.tags ?? []))],
  };
}

describe('documentation pages in headless Chromium, offline', () => {
  it.each([
    ['liveperson', 'specs/liveperson/personal-data-deletion.openapi.yaml'],
    ['liveperson-auth', 'specs/liveperson/auth.openapi.yaml'],
    ['mixpanel', 'generated/mixpanel.openapi.yaml'],
  ])(
    'the %s API page renders every operation without the network',
    async (name, spec) => {
      const { summaries, tags } = operations(spec);
      const { text, network } = await open(`api/${name}.html`, `api-${name}.png`, tags);
      expect(summaries.length).toBeGreaterThanOrEqual(2);
      for (const summary of summaries) expect(text, summary).toContain(summary);
      expect(network).toEqual([]);
    },
    60_000,
  );

  it.each([
    ['MixpanelClient', createMixpanelClient({ projectToken: 'p-docs', oauthToken: 'o-docs' })],
    [
      'LivePersonClient',
      createLivePersonClient({ siteId: '1', auth: { bearer: 'b-docs' }, domain: 'example.invalid' }),
    ],
  ])(
    'the SDK reference documents every %s method with an example',
    async (name, client) => {
      const { text, network } = await open(`sdk/interfaces/index.${name}.html`, `sdk-${name}.png`);
      const methods = Object.keys(client);
      expect(methods.length).toBeGreaterThanOrEqual(5);
      for (const method of methods) expect(text, method).toContain(method);
      expect(text.match(/^Example$/gm)?.length ?? 0).toBeGreaterThanOrEqual(methods.length);
      expect(network).toEqual([]);
    },
    60_000,
  );

  it('the SDK reference documents both factories with an example, and every error class', async () => {
    for (const factory of ['createMixpanelClient', 'createLivePersonClient']) {
      const { text } = await open(`sdk/functions/index.${factory}.html`, `sdk-${factory}.png`);
      expect(text).toMatch(/^Example$/m);
    }
    const { text } = await open('sdk/modules/index.html', 'sdk-index.png');
    for (const error of ['PrivacyApiError', 'ConflictError', 'TimeoutError', 'MonthlyQuotaError', 'InvalidInputError'])
      expect(text).toContain(error);
  }, 60_000);
});
