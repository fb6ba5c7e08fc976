#!/usr/bin/env node
/**
 * Writes sandbox/iam/authenticatedRolePolicy.ts: the authenticated role's
 * permissions policy from the synthesized backend template (default options),
 * which the sandbox's S3 server enforces. Run after `npx tsc -b` (it uses the
 * compiled infra/ in out/tsc/infra):
 *
 *   npx tsc -b && node infra/scripts/write-sandbox-policy.js          # rewrite
 *   npx tsc -b && node infra/scripts/write-sandbox-policy.js --check  # exit 1 when stale
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const target = `${root}sandbox/iam/authenticatedRolePolicy.ts`;

let lib;
try {
  const [{ synthesizeTemplate }, { authenticatedRolePolicy, renderSandboxPolicyModule }] = await Promise.all([
    import(`${root}out/tsc/infra/lib/backendApp.js`),
    import(`${root}out/tsc/infra/lib/sandboxPolicy.js`),
  ]);
  lib = { synthesizeTemplate, authenticatedRolePolicy, renderSandboxPolicyModule };
} catch (err) {
  console.error(`write-sandbox-policy: run \`npx tsc -b\` first (${err.message})`);
  process.exit(2);
}

const text = lib.renderSandboxPolicyModule(lib.authenticatedRolePolicy(lib.synthesizeTemplate()));
if (process.argv.includes('--check')) {
  const current = await readFile(target, 'utf8').catch(() => '');
  if (current !== text) {
    console.error(`${target} is stale: run \`node infra/scripts/write-sandbox-policy.js\``);
    process.exit(1);
  }
  console.log(`${target} is up to date`);
} else {
  await writeFile(target, text);
  console.log(`wrote ${target}`);
}
