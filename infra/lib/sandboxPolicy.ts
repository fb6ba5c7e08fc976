/**
 * sandboxPolicy: takes the authenticated role's permissions out of the
 * synthesized template, so the sandbox's S3 server enforces the very document
 * the deployed stack gives users (one source of truth). Writes it as a
 * TypeScript module, sandbox/iam/authenticatedRolePolicy.ts, which the sandbox
 * compiles in: it never loads aws-cdk-lib. A test fails when that file is stale
 * (test/infra/sandboxPolicy.test.ts); `node infra/scripts/write-sandbox-policy.js`
 * rewrites it.
 *
 * The template names the bucket through intrinsics (`Fn::GetAtt Bucket.Arn`,
 * `Ref Bucket`); they are resolved to the literal `arn:aws:s3:::BUCKET`, and the
 * sandbox puts its own bucket names in place of `BUCKET` (upper case, so it is
 * never a real bucket name). Any other intrinsic is an error: the sandbox must
 * not guess.
 */

/** Stands for the bucket's name in the extracted document. */
export const BUCKET_PLACEHOLDER = 'BUCKET';

export interface ExtractedStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

export interface ExtractedPolicy {
  readonly Version: '2012-10-17';
  readonly Statement: ExtractedStatement[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Resources = Record<string, { Type: string; Properties?: Record<string, Json> }>;

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Resolves the intrinsics a role policy uses for the bucket, to plain strings. */
function resolve(value: Json, bucketId: string): Json {
  if (Array.isArray(value)) return value.map((v) => resolve(v, bucketId));
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const [name] = keys as [string];
    const arg = value[name] as Json;
    if (name === 'Ref') {
      if (arg === bucketId) return BUCKET_PLACEHOLDER;
      if (arg === 'AWS::Partition') return 'aws';
      throw new Error(`the authenticated role's policy refers to ${JSON.stringify(arg)}; the sandbox cannot resolve it`);
    }
    if (name === 'Fn::GetAtt') {
      if (Array.isArray(arg) && arg[0] === bucketId && arg[1] === 'Arn') return `arn:aws:s3:::${BUCKET_PLACEHOLDER}`;
      throw new Error(`the authenticated role's policy uses Fn::GetAtt ${JSON.stringify(arg)}; the sandbox cannot resolve it`);
    }
    if (name === 'Fn::Join') {
      if (!Array.isArray(arg) || typeof arg[0] !== 'string' || !Array.isArray(arg[1])) throw new Error('malformed Fn::Join');
      const parts = arg[1].map((part) => resolve(part, bucketId));
      if (!parts.every((p): p is string => typeof p === 'string')) throw new Error('Fn::Join of something other than strings');
      return parts.join(arg[0]);
    }
    if (name.startsWith('Fn::')) throw new Error(`the authenticated role's policy uses ${name}; the sandbox cannot resolve it`);
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, bucketId)]));
}

function onlyResource(resources: Resources, type: string, filter: (r: Resources[string]) => boolean = () => true): [string, Resources[string]] {
  const found = Object.entries(resources).filter(([, r]) => r.Type === type && filter(r));
  if (found.length !== 1) throw new Error(`expected exactly one ${type} in the template, found ${found.length}`);
  return found[0] as [string, Resources[string]];
}

function trustsCognitoIdentity(role: Resources[string]): boolean {
  return JSON.stringify(role.Properties?.['AssumeRolePolicyDocument'] ?? null).includes('"Federated":"cognito-identity.amazonaws.com"');
}

/**
 * Every permissions statement of the role the identity pool gives signed-in
 * users: its inline policies and any AWS::IAM::Policy attached to it, merged
 * into one document, bucket resolved to `arn:aws:s3:::BUCKET`.
 */
export function authenticatedRolePolicy(template: Record<string, unknown>): ExtractedPolicy {
  const resources = template['Resources'] as Resources;
  const [bucketId] = onlyResource(resources, 'AWS::S3::Bucket');
  const [roleId, role] = onlyResource(resources, 'AWS::IAM::Role', trustsCognitoIdentity);
  const documents: Json[] = [];
  const inline = role.Properties?.['Policies'];
  if (Array.isArray(inline)) for (const p of inline) if (isObject(p)) documents.push(p['PolicyDocument'] as Json);
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::IAM::Policy' && r.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const roles = r.Properties?.['Roles'];
    if (Array.isArray(roles) && roles.some((ref) => isObject(ref) && ref['Ref'] === roleId)) documents.push(r.Properties?.['PolicyDocument'] as Json);
  }
  if (Array.isArray(role.Properties?.['ManagedPolicyArns'])) throw new Error('the authenticated role has managed policies; the sandbox cannot read them');
  const statements: ExtractedStatement[] = [];
  for (const doc of documents) {
    if (!isObject(doc)) continue;
    const list = Array.isArray(doc['Statement']) ? doc['Statement'] : [doc['Statement'] as Json];
    for (const s of list) statements.push(resolve(s, bucketId) as unknown as ExtractedStatement);
  }
  if (statements.length === 0) throw new Error('the authenticated role has no permissions statements');
  return { Version: '2012-10-17', Statement: statements };
}

/** The text of sandbox/iam/authenticatedRolePolicy.ts for `policy`. */
export function renderSandboxPolicyModule(policy: ExtractedPolicy): string {
  return [
    '/**',
    ' * GENERATED from the backend template (infra/lib/StratusBackendStack.ts) by',
    ' * `npx tsc -b && node infra/scripts/write-sandbox-policy.js`. Do not edit:',
    ' * test/infra/sandboxPolicy.test.ts fails when this file is stale.',
    ' *',
    ' * The permissions policy of the identity pool\'s authenticated role, exactly as',
    ` * synthesized, with the bucket's ARN written as \`arn:aws:s3:::${BUCKET_PLACEHOLDER}\`. The sandbox's`,
    ' * S3 server enforces it (sandbox/s3/AccessPolicy.ts) for identity credentials.',
    ' */',
    'import type { PolicyDocument } from \'./evaluate.js\';',
    '',
    '/** Stands for the bucket\'s name in the resources below. */',
    `export const BUCKET_PLACEHOLDER = '${BUCKET_PLACEHOLDER}';`,
    '',
    `export const AUTHENTICATED_ROLE_POLICY: PolicyDocument = ${JSON.stringify(policy, null, 2)};`,
    '',
  ].join('\n');
}
