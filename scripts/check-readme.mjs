// The ```ts examples in README.md, type-checked against the built package as a user imports it ('privacy-deletions'
// resolves to this package itself through its exports), so the documentation cannot drift from the API.
// Each block is its own module (top-level await allowed); an error is reported with its README line. Needs dist/.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '..');
const dir = join(root, '.tmp', 'readme-examples');
const readme = readFileSync(join(root, 'README.md'), 'utf8').split('\n');

const blocks = [];
for (let i = 0; i < readme.length; i++) {
  if (readme[i]?.trim() !== '```ts') continue;
  const start = i + 1;
  let end = start;
  while (end < readme.length && readme[end]?.trim() !== '```') end++;
  blocks.push({ line: start + 1, code: readme.slice(start, end).join('\n') });
  i = end;
}
if (blocks.length === 0) throw new Error('README.md has no ```ts examples');

rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const files = blocks.map((b, n) => {
  const file = join(dir, `example-${n + 1}.ts`);
  writeFileSync(file, `${b.code}\nexport {};\n`);
  return file;
});
const program = ts.createProgram(files, {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ['lib.es2023.d.ts'],
  types: ['node'],
  strict: true,
  noEmit: true,
  skipLibCheck: false,
});
const problems = ts.getPreEmitDiagnostics(program).filter((d) => d.file && files.includes(resolve(d.file.fileName)));
for (const d of problems) {
  const n = files.indexOf(resolve(d.file.fileName));
  const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
  console.error(`README.md:${(blocks[n]?.line ?? 0) + line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}
if (problems.length) process.exitCode = 1;
else console.log(`README.md: ${blocks.length} TypeScript examples type-check against the package`);
