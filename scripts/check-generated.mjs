#!/usr/bin/env node
// Fails when generated/ differs from what the specs produce now, holds files the generator does not write,
// or (inside a git checkout) holds changes or untracked files that are not committed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from './generate.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const committedDir = join(root, 'generated');
const freshDir = mkdtempSync(join(tmpdir(), 'privacy-deletions-generated-'));
const problems = [];
try {
  const expected = await generate(freshDir);
  const present = readdirSync(committedDir);
  for (const file of expected) {
    if (!present.includes(file)) problems.push(`missing: generated/${file}`);
    else if (readFileSync(join(committedDir, file), 'utf8') !== readFileSync(join(freshDir, file), 'utf8')) {
      problems.push(`stale: generated/${file} differs from what the specs produce (run npm run generate)`);
    }
  }
  for (const file of present)
    if (!expected.includes(file)) problems.push(`not produced by the generator: generated/${file}`);
} finally {
  rmSync(freshDir, { recursive: true, force: true });
}

let inGit = false;
try {
  inGit =
    execFileSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd: root, stdio: 'pipe' }).toString().trim() ===
    'true';
} catch {}
if (inGit) {
  const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=all', '--', 'generated'], {
    cwd: root,
  })
    .toString()
    .trim();
  if (status) problems.push(`uncommitted or untracked files in generated/:\n${status}`);
}

if (problems.length > 0) {
  console.error(`check:generated failed:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log('check:generated: generated/ is up to date and committed');
