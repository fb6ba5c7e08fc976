#!/usr/bin/env node
// `npm run policies` (after `tsc -b`): writes every file generated from the policy
// definitions in src/shared/policies.ts — the Windows ADMX/ADML, the macOS example
// profile, the Linux JSON Schema and example (build/policies/), and the policy
// reference between the markers in docs/admin-guide.md (the rest of the guide is kept).
// With --check it writes nothing and exits 1 naming the stale files.
// Emits one line per file on stdout.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'plist';

const root = join(import.meta.dirname, '..');
const check = process.argv.includes('--check');
const generator = join(root, 'out/tsc/src/shared/policyTemplates/generatePolicyFiles.js');

if (!existsSync(generator)) {
  console.error(`generate-policies: ${generator} is missing; run \`tsc -b\` first (npm run policies does).`);
  process.exit(2);
}

const { generatePolicyFiles, ADMIN_GUIDE_PATH } = await import(pathToFileURL(generator).href);

/** The committed text of `path`, or undefined when it does not exist yet. */
function current(path) {
  const file = join(root, path);
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

const files = generatePolicyFiles({ buildPlist: (value) => build(value), adminGuide: current(ADMIN_GUIDE_PATH) });
const stale = [];
for (const [path, content] of Object.entries(files)) {
  if (current(path) === content) {
    console.log(`up to date  ${path}`);
    continue;
  }
  stale.push(path);
  if (check) {
    console.log(`stale       ${path}`);
    continue;
  }
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
  console.log(`written     ${path}`);
}
if (check && stale.length > 0) {
  console.error(`generate-policies: ${stale.length} generated file(s) are stale; run npm run policies.`);
  process.exit(1);
}
