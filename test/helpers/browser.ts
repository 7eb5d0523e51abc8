/**
 * A headless Chromium for the browser tests, on any machine `npm ci` has run on: the one named by
 * PRIVACY_DELETIONS_CHROMIUM, else Debian's /usr/bin/chromium where it is installed, else the one the
 * `@sparticuz/chromium` dev dependency unpacks (about 4 s, into the system's temp folder). Network beyond files is
 * off: a page that tries to load anything shows up in the test, not as a slow start.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

const DEBIAN_CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'];

/** Which Chromium the tests use, and why (said in a failure). */
export async function chromiumExecutable(): Promise<{ path: string; from: string }> {
  const named = process.env.PRIVACY_DELETIONS_CHROMIUM;
  if (named) {
    if (!existsSync(named)) throw new Error(`PRIVACY_DELETIONS_CHROMIUM names ${named}, which does not exist`);
    return { path: named, from: 'PRIVACY_DELETIONS_CHROMIUM' };
  }
  if (existsSync(DEBIAN_CHROMIUM)) return { path: DEBIAN_CHROMIUM, from: "Debian's chromium" };
  const { default: bundled } = await import('@sparticuz/chromium');
  return { path: await bundled.executablePath(), from: '@sparticuz/chromium' };
}

export async function launchChromium(): Promise<Browser> {
  const { path } = await chromiumExecutable();
  return chromium.launch({ executablePath: path, args: ARGS });
}
