// Runs the CLI in this process and reports its peak resident set size (bytes) on fd 3 when it exits.
import { writeSync } from 'node:fs';

process.on('exit', () => writeSync(3, `${process.resourceUsage().maxRSS * 1024}\n`));
process.argv = [process.argv[0], new URL('../dist/src/cli/bin.js', import.meta.url).pathname, ...process.argv.slice(2)];
await import('../dist/src/cli/bin.js');
