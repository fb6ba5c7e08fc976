/**
 * The CDK app's entry: `npm run infra:synth` (offline, writes infra/cdk.out/)
 * or the CDK CLI through infra/cdk.json (`cdk deploy`, which sets CDK_OUTDIR).
 */
import { fileURLToPath } from 'node:url';
import { createBackendApp } from '../lib/backendApp.js';

// out/tsc/infra/bin/app.js → <repo>/infra/cdk.out, whatever the working directory.
const outdir = fileURLToPath(new URL('../../../../infra/cdk.out', import.meta.url));
const { app, stack } = createBackendApp({ outdir });
const assembly = app.synth();
console.log(`${stack.stackName}: ${assembly.directory}/${stack.templateFile}`);
