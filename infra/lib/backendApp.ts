/**
 * backendApp: builds the CDK app around StratusBackendStack from CDK context
 * (`cdk deploy -c domainPrefix=acme-stratus -c encryption=SSE-KMS …`, or the
 * `context` argument in tests), and synthesizes it offline. No lookups, no
 * account or region at synth time: the template is environment-agnostic.
 *
 * Context keys (all optional):
 *   stackName           @default 'StratusBackend'
 *   domainPrefix        hosted UI prefix @default 'stratus-<account id>'
 *   redirectPort        @default 53682
 *   idTokenMinutes, accessTokenMinutes  @default 60 (5–1440)
 *   refreshTokenDays    @default 30 (1–3650)
 *   encryption          'SSE-S3' | 'SSE-KMS' @default 'SSE-S3'
 *   versioned           true | false @default false
 *   bucketName          @default a name CloudFormation generates
 */
import { App, Aws, type Stage } from 'aws-cdk-lib';
import { StratusBackendStack, type BucketEncryptionChoice, type StratusBackendOptions } from './StratusBackendStack.js';

export const DEFAULT_STACK_NAME = 'StratusBackend';

/** Context values arrive as strings from the command line and as JSON values from cdk.json. */
function contextNumber(app: App, name: string): number | undefined {
  const raw: unknown = app.node.tryGetContext(name);
  if (raw === undefined || raw === null || raw === '') return undefined;
  const value = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isFinite(value)) throw new Error(`context ${name} must be a number, got ${JSON.stringify(raw)}`);
  return value;
}

function contextBoolean(app: App, name: string): boolean | undefined {
  const raw: unknown = app.node.tryGetContext(name);
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw new Error(`context ${name} must be true or false, got ${JSON.stringify(raw)}`);
}

function contextString(app: App, name: string): string | undefined {
  const raw: unknown = app.node.tryGetContext(name);
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw !== 'string') throw new Error(`context ${name} must be a string, got ${JSON.stringify(raw)}`);
  return raw;
}

/** The stack's options as the app's context sets them. */
export function backendOptionsFromContext(app: App): StratusBackendOptions {
  const encryption = contextString(app, 'encryption');
  const options: Record<string, unknown> = {
    // The account ID makes the default prefix unique (prefixes are global per region).
    domainPrefix: contextString(app, 'domainPrefix') ?? `stratus-${Aws.ACCOUNT_ID}`,
    redirectPort: contextNumber(app, 'redirectPort'),
    idTokenMinutes: contextNumber(app, 'idTokenMinutes'),
    accessTokenMinutes: contextNumber(app, 'accessTokenMinutes'),
    refreshTokenDays: contextNumber(app, 'refreshTokenDays'),
    encryption: encryption as BucketEncryptionChoice | undefined,
    versioned: contextBoolean(app, 'versioned'),
    bucketName: contextString(app, 'bucketName'),
  };
  // exactOptionalPropertyTypes: leave unset options out rather than undefined.
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as unknown as StratusBackendOptions;
}

export interface BackendApp {
  readonly app: App;
  readonly stack: StratusBackendStack;
}

/**
 * @param options.outdir where `synth()` writes the cloud assembly; the CDK CLI's
 *   CDK_OUTDIR wins when set. @default a temporary directory
 * @param options.context context values, as `-c name=value` would give them
 */
export function createBackendApp(options: { outdir?: string; context?: Record<string, unknown> } = {}): BackendApp {
  const app = new App({
    ...(options.outdir === undefined || process.env['CDK_OUTDIR'] !== undefined ? {} : { outdir: options.outdir }),
    ...(options.context === undefined ? {} : { context: options.context }),
  });
  const stackName = contextString(app, 'stackName') ?? DEFAULT_STACK_NAME;
  const stack = new StratusBackendStack(app, stackName, {
    description: 'Stratus backend: Cognito user pool + hosted UI + identity pool, and the bucket with per-identity prefixes',
    backend: backendOptionsFromContext(app),
  });
  return { app, stack };
}

/** The stack's CloudFormation template, synthesized in memory. */
export function synthesizeTemplate(context?: Record<string, unknown>): Record<string, unknown> {
  const { app, stack } = createBackendApp(context === undefined ? {} : { context });
  const assembly = (app as Stage).synth();
  return assembly.getStackArtifact(stack.artifactId).template as Record<string, unknown>;
}
