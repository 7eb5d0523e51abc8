// `npm run bench`: every benchmark, each printing ratios measured side by side in this one run.
import os from 'node:os';
import { printSdkOverhead, sdkOverhead } from './sdk-overhead.mjs';

console.log(
  `machine: ${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${os.platform()} ${os.arch()}`,
);
printSdkOverhead(await sdkOverhead());

const { cliMemory, cliThroughput, printCli } = await import('./cli.mjs');
printCli(await cliThroughput(), await cliMemory());

const { accountsThroughput, printAccounts } = await import('./accounts.mjs');
printAccounts(await accountsThroughput());

const { cancelsFirst, printCancelsFirst } = await import('./cancels-first.mjs');
printCancelsFirst(await cancelsFirst());

const { registryScale, printRegistry } = await import('./registry.mjs');
printRegistry(await registryScale());

const { cliStart, printCliStart } = await import('./cli-start.mjs');
printCliStart(cliStart());

// Import weight per entry point (the same script npm test runs), printed with the other figures.
const { execFileSync } = await import('node:child_process');
console.log(
  `\n${execFileSync(process.execPath, [new URL('../scripts/check-size.mjs', import.meta.url).pathname], { encoding: 'utf8' }).trim()}`,
);
