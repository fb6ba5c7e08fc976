#!/usr/bin/env node
/**
 * Turns the backend stack's outputs into the two files an admin hands out:
 *
 *   policy.json   a Stratus managed-configuration file (the /etc/stratus/policy.json
 *                 layout: root keys are enforced), pointing every copy at this
 *                 backend and locking it (LockBackend):
 *                   { "CognitoRegion": "eu-west-1", "CognitoUserPoolId": "eu-west-1_…",
 *                     "CognitoAppClientId": "…", "CognitoHostedUiDomain": "https://….amazoncognito.com",
 *                     "CognitoIdentityPoolId": "eu-west-1:…", "CognitoRedirectPort": 53682,
 *                     "Bucket": "…", "LockBackend": true }
 *   stratus.json  a Stratus config file (src/shared/StratusConfig.ts, version 1,
 *                 auth "cognito"), for the CLI's --config or the app.
 *
 * Input: the file `cdk deploy --outputs-file cdk-outputs.json` writes
 * ({ "<stack>": { "<OutputKey>": "value" } }), or the JSON of
 * `aws cloudformation describe-stacks --stack-name <stack>`.
 *
 *   node infra/scripts/outputs-to-config.js [--outputs cdk-outputs.json] [--out-dir .] [--stack StratusBackend]
 *
 * Plain Node, no build needed. Exit code 2 with a one-line reason on bad input.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The stack's output keys (infra/lib/StratusBackendStack.ts OUTPUT_KEYS). */
const KEYS = ['Region', 'UserPoolId', 'AppClientId', 'HostedUiDomainUrl', 'IdentityPoolId', 'BucketName', 'RedirectPort'];

class UsageError extends Error {}

/** { stackName: { OutputKey: value } } from either input format. */
function stacksFrom(json) {
  if (Array.isArray(json?.Stacks)) {
    return Object.fromEntries(json.Stacks.map((s) => [s.StackName, Object.fromEntries((s.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]))]));
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new UsageError('the outputs file is not a JSON object');
  return json;
}

/** The outputs of `stack`, or of the only stack that has Stratus's outputs. */
export function pickOutputs(json, stack) {
  const stacks = stacksFrom(json);
  if (stack !== undefined) {
    if (!(stack in stacks)) throw new UsageError(`no stack ${stack} in the outputs file (it has: ${Object.keys(stacks).join(', ') || 'none'})`);
    return stacks[stack];
  }
  const ours = Object.entries(stacks).filter(([, outputs]) => outputs !== null && typeof outputs === 'object' && 'UserPoolId' in outputs && 'IdentityPoolId' in outputs);
  if (ours.length !== 1) throw new UsageError(`${ours.length === 0 ? 'no' : 'more than one'} Stratus backend stack in the outputs file; name it with --stack`);
  return ours[0][1];
}

/** Both files' contents from one stack's outputs. */
export function configFromOutputs(outputs) {
  const missing = KEYS.filter((k) => typeof outputs[k] !== 'string' || outputs[k] === '');
  if (missing.length > 0) throw new UsageError(`the stack outputs lack ${missing.join(', ')} (deployed from an older template?)`);
  const port = Number(outputs.RedirectPort);
  if (!Number.isInteger(port) || port < 1024 || port > 65535) throw new UsageError(`RedirectPort ${outputs.RedirectPort} is not a port from 1024 to 65535`);
  const region = outputs.Region;
  const hostedUi = outputs.HostedUiDomainUrl.replace(/\/+$/, '');
  const policy = {
    CognitoRegion: region,
    CognitoUserPoolId: outputs.UserPoolId,
    CognitoAppClientId: outputs.AppClientId,
    CognitoHostedUiDomain: hostedUi,
    CognitoIdentityPoolId: outputs.IdentityPoolId,
    CognitoRedirectPort: port,
    Bucket: outputs.BucketName,
    LockBackend: true,
  };
  const stratusConfig = {
    version: 1,
    auth: 'cognito',
    region,
    bucket: outputs.BucketName,
    cognito: {
      issuer: `https://cognito-idp.${region}.amazonaws.com/${outputs.UserPoolId}`,
      clientId: outputs.AppClientId,
      identityPoolId: outputs.IdentityPoolId,
      redirectUri: `http://localhost:${port}/callback`,
      hostedUiBase: hostedUi,
    },
  };
  return { policy, stratusConfig };
}

function parseArgs(argv) {
  const args = { outputs: 'cdk-outputs.json', outDir: '.', stack: undefined };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--help' || flag === '-h') {
      console.log('usage: node infra/scripts/outputs-to-config.js [--outputs cdk-outputs.json] [--out-dir .] [--stack NAME]');
      process.exit(0);
    }
    if (value === undefined || !['--outputs', '--out-dir', '--stack'].includes(flag)) throw new UsageError(`unknown or incomplete option ${flag}`);
    if (flag === '--outputs') args.outputs = value;
    if (flag === '--out-dir') args.outDir = value;
    if (flag === '--stack') args.stack = value;
    i++;
  }
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  let json;
  try {
    json = JSON.parse(await readFile(args.outputs, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read ${args.outputs}: ${err.message}`);
  }
  const { policy, stratusConfig } = configFromOutputs(pickOutputs(json, args.stack));
  await mkdir(args.outDir, { recursive: true });
  const policyFile = join(args.outDir, 'policy.json');
  const configFile = join(args.outDir, 'stratus.json');
  await writeFile(policyFile, `${JSON.stringify(policy, null, 2)}\n`);
  await writeFile(configFile, `${JSON.stringify(stratusConfig, null, 2)}\n`);
  console.log(`wrote ${policyFile} (install as /etc/stratus/policy.json, or deploy as managed preferences / registry policy)`);
  console.log(`wrote ${configFile} (stratus --config ${configFile})`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err) => {
    console.error(`outputs-to-config: ${err instanceof UsageError ? err.message : err.stack}`);
    process.exit(2);
  });
}
