#!/usr/bin/env node
// Launcher for the compiled CLI (npm run build emits it under out/tsc).
// Node's compile cache roughly halves start-up once warm (TOOLCHAIN-NOTES).
import { existsSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';

const entry = new URL('../out/tsc/src/cli/index.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('stratus: the CLI is not built yet. Run "npm run build" in the Stratus folder first.\n');
  process.exit(2);
}

// `sync` and `watch` run with an 8 MiB young-generation semi-space instead of V8's default 16 MiB
// (issue 4, no-change re-sync of 10,000 files, medians of 4 on a busy 2-core machine: peak RSS
// 143–159 MB → 126–131 MB, wall time unchanged within noise; first upload of 2,000 files: RSS
// 182–197 → 155–159 MB, time within noise). The flag only works at start-up, so the process
// replaces itself once with the flag added (process.execve: same pid, stdio and environment;
// about 40 ms). Where execve is missing (Windows) or the flag is already given, it runs as is.
// The same restart starts V8 with a 30 % old-generation growth factor, which the engine keeps for
// transfers and relaxes for discovery (src/engine/heapGrowth.ts): set at start-up, it already applies
// to the limit V8 sets at its first full collection (first sync of 10,000 × 4 KiB files, two runs
// each: peak RSS 142 MB when only the engine sets it, 134–136 MB from start-up).
const SEMI_SPACE_FLAG = '--max-semi-space-size';
const HEAP_GROWING_FLAG = '--heap-growing-percent=30';
const heavyCommand = process.argv.slice(2).some((arg) => arg === 'sync' || arg === 'watch');
if (
  heavyCommand &&
  typeof process.execve === 'function' &&
  !process.execArgv.some((arg) => arg.startsWith(SEMI_SPACE_FLAG)) &&
  !(process.env.NODE_OPTIONS ?? '').includes(SEMI_SPACE_FLAG)
) {
  process.execve(process.execPath, [process.execPath, `${SEMI_SPACE_FLAG}=8`, HEAP_GROWING_FLAG, ...process.execArgv, ...process.argv.slice(1)], process.env);
}

module.enableCompileCache?.();
await import(entry.href);
