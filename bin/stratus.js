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
module.enableCompileCache?.();
await import(entry.href);
