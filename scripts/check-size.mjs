// Import weight, as a user's bundler sees it: each entry point bundled by esbuild (minified, ESM, code splitting),
// then the gzip size of what loads at import: the entry chunk and every chunk it imports statically. Code reached
// only through import() (undici, p-queue, the OAuth 1.0 signer: loaded on first use) is counted apart. kB = 1000 bytes.
// Each entry is reported against its goal (issue 12) and fails the check only above its ceiling, set just above the
// size at the time of writing: the goals for the whole SDK and the Mixpanel entry are not met yet (see README), and
// the ceiling keeps the weight from growing unnoticed. Raised once, knowingly, for LivePerson's OAuth 2.0 client
// credentials and Login Service (+1.3 kB; loading them through import() saved nothing: two chunks gzip worse), and
// again by 0.1 kB for the check that LivePerson's Domain API names only LivePerson hosts (issue 18: the token would
// go to any host it named). Needs dist/ (npm run build).
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const BUDGETS = [
  { name: 'privacy-deletions', entry: 'dist/src/index.js', goalKb: 12, ceilingKb: 15.7 },
  { name: 'privacy-deletions/mixpanel', entry: 'dist/src/mixpanel/index.js', goalKb: 8, ceilingKb: 11.8 },
  { name: 'privacy-deletions/liveperson', entry: 'dist/src/liveperson/index.js', ceilingKb: 13.6 },
  { name: 'openapi-fetch (for scale)', entry: 'node_modules/openapi-fetch/dist/index.mjs' },
];

async function weigh(entry) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    splitting: true,
    outdir: 'out',
    write: false,
    metafile: true,
    logLevel: 'error',
  });
  const gz = new Map(
    result.outputFiles.map((f) => [f.path.slice(f.path.indexOf('out/')), gzipSync(f.contents).length]),
  );
  const outputs = result.metafile.outputs;
  const entryOut = Object.keys(outputs).find((k) => outputs[k].entryPoint);
  const atImport = new Set();
  const visit = (file) => {
    if (atImport.has(file)) return;
    atImport.add(file);
    for (const i of outputs[file].imports) if (i.kind === 'import-statement' && outputs[i.path]) visit(i.path);
  };
  visit(entryOut);
  const sum = (files) => files.reduce((n, f) => n + (gz.get(f) ?? 0), 0);
  const later = Object.keys(outputs).filter((f) => !atImport.has(f) && f.endsWith('.js'));
  return { atImport: sum([...atImport]), later: sum(later) };
}

let failed = false;
const rows = [];
for (const b of BUDGETS) rows.push({ ...b, ...(await weigh(b.entry)) });
const base = rows.at(-1).atImport;
console.log('import weight (esbuild, minified, gzip; kB = 1000 bytes):');
for (const r of rows) {
  const kb = r.atImport / 1000;
  const goal = r.goalKb === undefined ? '' : `goal ≤ ${r.goalKb} kB: ${kb <= r.goalKb ? 'met' : 'NOT met'}`;
  const ceiling =
    r.ceilingKb === undefined
      ? ''
      : kb <= r.ceilingKb
        ? `(ceiling ${r.ceilingKb})`
        : `OVER the ceiling of ${r.ceilingKb} kB`;
  if (r.ceilingKb !== undefined && kb > r.ceilingKb) failed = true;
  const verdict = [goal, ceiling].filter(Boolean).join(' ');
  console.log(
    `  ${r.name.padEnd(30)} ${kb.toFixed(1).padStart(5)} kB at import (${(r.atImport / base).toFixed(1)}× openapi-fetch)` +
      `${r.later ? `, +${(r.later / 1000).toFixed(1)} kB only through import()` : ''}  ${verdict}`,
  );
}
if (failed) process.exitCode = 1;
