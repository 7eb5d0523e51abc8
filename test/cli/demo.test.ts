/** `npm start` (scripts/demo.mjs), the first thing the README asks a new user to run, as a real process. */
import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import { runProcess } from '../helpers/cli-process.js';

it('npm start: three requests cancelled and verified, two too late, then the journal report', async () => {
  const root = resolve(import.meta.dirname, '../..');
  const run = await runProcess(process.execPath, [resolve(root, 'scripts/demo.mjs')], {
    env: { HOME: process.env.HOME ?? '/tmp' },
    cwd: root,
  });
  expect(run.stderr).toContain('too_late 2, cancelled 3');
  expect(run.code).toBe(0);
  const table = run.stdout.slice(0, run.stdout.indexOf('$ privacy-deletions report'));
  expect(table.match(/ cancelled {2,}\S+ +yes /g)).toHaveLength(3);
  expect(table.match(/ too_late /g)).toHaveLength(2);
  expect(run.stdout).toMatch(/exit code 1 \(1: not every request could be cancelled/);
  expect(run.stdout).toMatch(/integrity: 20 records, .* intact/);
}, 60_000);
