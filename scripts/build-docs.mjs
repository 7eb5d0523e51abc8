// `npm run docs`: the SDK reference (TypeDoc, from the doc comments in src/) and the vendor API reference pages
// (Redocly build-docs, one per spec) into docs-build/ (or the folder given as the first argument).
// The API pages must work offline: Redocly's output loads Redoc from a CDN (a module preload and an import), so
// the same Redoc bundle that @redocly/cli ships is inlined into each page instead, and its telemetry is turned off.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const out = resolve(process.argv[2] ?? join(root, 'docs-build'));
const bin = (name) => join(root, 'node_modules', '.bin', name);
const quiet = { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, REDOCLY_TELEMETRY: 'off' } };

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'api'), { recursive: true });

// 1. SDK reference (typedoc.json names the entry points and options).
execFileSync(bin('typedoc'), ['--out', join(out, 'sdk')], quiet);

// 2. Vendor API pages, with Redoc inlined.
const cliDir = dirname(createRequire(import.meta.url).resolve('@redocly/cli/package.json'));
const redoc = readFileSync(join(cliDir, 'lib/chunks/redoc.standalone.js'), 'utf8');
const redocVersion = /Version: (\S+)/.exec(redoc)?.[1];
// The bundle ends with `export{RedocStandalone,hydrate,init}`; inline, its top-level const already names hydrate.
const inlineRedoc = redoc
  .replace(/export\s*\{[^}]*\}\s*;?\s*$/, '')
  .replaceAll('</script', '<\\/script')
  // the "API docs by Redocly" badge is an image on Redocly's CDN: an empty inline image keeps the page off the network
  .replaceAll(
    /https:\/\/cdn\.redoc\.ly\/[^`"']*\.svg/g,
    'data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22/%3E',
  );
if (inlineRedoc.includes('export{')) throw new Error('unexpected Redoc bundle shape: an export remains');

const SPECS = [
  { name: 'liveperson', spec: 'specs/liveperson/personal-data-deletion.openapi.yaml' },
  { name: 'liveperson-auth', spec: 'specs/liveperson/auth.openapi.yaml' },
  { name: 'mixpanel', spec: 'generated/mixpanel.openapi.yaml' },
];
for (const { name, spec } of SPECS) {
  const file = join(out, 'api', `${name}.html`);
  execFileSync(bin('redocly'), ['build-docs', spec, '-o', file], quiet);
  let html = readFileSync(file, 'utf8');
  const cdn = new RegExp(
    `https://cdn\\.redocly\\.com/redoc/v${redocVersion?.replaceAll('.', '\\.')}/bundles/redoc\\.standalone\\.js`,
  );
  if (!cdn.test(html))
    throw new Error(`${name}: Redocly's page does not load Redoc ${redocVersion} from its CDN as expected`);
  const PLACE = '/* redoc inlined here */';
  html = html
    .replace(/<link rel="modulepreload" href="https:\/\/cdn\.redocly\.com[^>]*>/, '')
    .replace(/import \{ hydrate \} from "https:\/\/cdn\.redocly\.com[^"]*";/, PLACE)
    .replace('"disableTelemetry":false', '"disableTelemetry":true');
  // Checked before the bundle goes in: anything left that could fetch a script (a script src, a module preload, a
  // static import from a URL, the CDN) would make the page depend on the network.
  if (
    !html.includes(PLACE) ||
    /<script[^>]*\bsrc="https?:|modulepreload|\bfrom\s*["']https?:\/\/|cdn\.redocly\.com/.test(html)
  )
    throw new Error(`${name}: the page still loads a script from the network`);
  html = html.replace(PLACE, () => inlineRedoc);
  writeFileSync(file, html);
}

writeFileSync(
  join(out, 'index.html'),
  `<!doctype html><meta charset="utf-8"><title>privacy-deletions documentation</title>
<h1>privacy-deletions documentation</h1>
<ul>
  <li><a href="sdk/index.html">SDK reference</a> (TypeDoc)</li>
  <li><a href="api/liveperson.html">LivePerson Personal Data Deletion API</a> (the spec the SDK is generated from)</li>
  <li><a href="api/liveperson-auth.html">LivePerson token endpoints</a> (client credentials, Login Service)</li>
  <li><a href="api/mixpanel.html">Mixpanel GDPR API</a> (Mixpanel's published spec with the project's overlay)</li>
</ul>
`,
);
console.log(
  `docs: ${out}/index.html (SDK reference, and the API pages with Redoc ${redocVersion} inlined: no network)`,
);
