#!/usr/bin/env node
/** Entry point of the `privacy-deletions` command. */
import v8 from 'node:v8';

// A bulk run is paced by vendor rate limits, not by CPU. Without this, V8 lets some 60 MiB of short-lived request
// garbage pile up before its first full collection, so peak memory would depend on how long the input is; with its
// size-optimised heap, 100,000 lines peak within a few MiB of 1,000 (npm run bench).
v8.setFlagsFromString('--optimize-for-size');

const { main } = await import('./main.js');
process.exitCode = await main();
