/**
 * The CDK app's entry: `npm run infra:synth` (offline, writes infra/cdk.out/;
 * options as `-c name=value`, like the CDK CLI's) or the CDK CLI through
 * infra/cdk.json (`cdk deploy`, which passes context and CDK_OUTDIR itself).
 */
import { fileURLToPath } from 'node:url';
import { createBackendApp } from '../lib/backendApp.js';

/** `-c name=value` / `--context name=value` pairs from the command line. */
function contextFromArgs(args: readonly string[]): Record<string, string> {
  const context: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg !== '-c' && arg !== '--context') throw new Error(`unknown argument ${String(arg)}; use -c name=value`);
    const pair = args[++i] ?? '';
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`-c needs name=value, got "${pair}"`);
    context[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return context;
}

// out/tsc/infra/bin/app.js → <repo>/infra/cdk.out, whatever the working directory.
const outdir = fileURLToPath(new URL('../../../../infra/cdk.out', import.meta.url));
try {
  const { app, stack } = createBackendApp({ outdir, context: contextFromArgs(process.argv.slice(2)) });
  const assembly = app.synth();
  console.log(`${stack.stackName}: ${assembly.directory}/${stack.templateFile}`);
} catch (err) {
  // Bad options are the admin's to fix: one line, not a stack trace.
  console.error(`infra:synth: ${(err as Error).message}`);
  process.exitCode = 2;
}
