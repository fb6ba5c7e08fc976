/**
 * The Stratus configuration file: where the app and the CLI find the bucket,
 * the S3 endpoint and the sign-in settings. JSON, versioned, no secrets (tokens
 * live in the OS vault; the `aws` mode uses the AWS SDK's own credential chain).
 *
 *   {
 *     "version": 1,
 *     "auth": "cognito",                       // or "aws"
 *     "region": "us-east-1",
 *     "bucket": "stratus",
 *     "endpoint": "http://127.0.0.1:4566",      // optional: any S3-compatible server
 *     "forcePathStyle": true,                  // optional: path-style addressing
 *     "prefix": "team/ada/",                   // aws mode only: the prefix to sync
 *     "folder": "/home/ada/Stratus",           // optional: local sync root
 *     "cognito": {                             // cognito mode only
 *       "issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC",
 *       "clientId": "…", "identityPoolId": "us-east-1:…",
 *       "redirectUri": "http://localhost:53682/callback",
 *       "identityEndpoint": "http://127.0.0.1:4567",   // optional: Cognito Identity endpoint
 *       "hostedUiBase": "https://auth.example.com"      // optional: for /logout when discovery lacks it
 *     }
 *   }
 */

export interface CognitoSettings {
  readonly issuer: string;
  readonly clientId: string;
  readonly identityPoolId: string;
  readonly redirectUri: string;
  readonly identityEndpoint?: string;
  readonly hostedUiBase?: string;
}

export interface StratusConfig {
  readonly version: 1;
  readonly auth: 'cognito' | 'aws';
  readonly region: string;
  readonly bucket: string;
  readonly endpoint?: string;
  readonly forcePathStyle?: boolean;
  readonly prefix?: string;
  readonly folder?: string;
  readonly cognito?: CognitoSettings;
}

export type ConfigResult = { readonly ok: true; readonly config: StratusConfig } | { readonly ok: false; readonly errors: string[] };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An absolute http(s) URL with a host: checked by shape, since this layer has no URL class. */
const HTTP_URL = /^https?:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?(\/[^\s]*)?$/;

function checkUrl(errors: string[], field: string, value: unknown, required: boolean): void {
  if (value === undefined && !required) return;
  if (typeof value !== 'string') errors.push(`${field} must be a URL string`);
  else if (!HTTP_URL.test(value)) errors.push(`${field} must be an http(s) URL such as https://example.com, got "${value}"`);
}

function checkString(errors: string[], field: string, value: unknown, required: boolean): void {
  if (value === undefined && !required) return;
  if (typeof value !== 'string' || value === '') errors.push(`${field} must be a non-empty string`);
}

/** S3 bucket naming rules (the subset that catches typos: length, charset, shape). */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Validates a parsed config file; every problem is listed, each in one line. */
export function parseStratusConfig(value: unknown): ConfigResult {
  const errors: string[] = [];
  if (!isRecord(value)) return { ok: false, errors: ['the config must be a JSON object'] };
  if (value['version'] !== 1) errors.push(`version must be 1, got ${JSON.stringify(value['version'])}`);
  if (value['auth'] !== 'cognito' && value['auth'] !== 'aws') errors.push('auth must be "cognito" or "aws"');
  checkString(errors, 'region', value['region'], true);
  checkString(errors, 'bucket', value['bucket'], true);
  if (typeof value['bucket'] === 'string' && !BUCKET_NAME.test(value['bucket'])) {
    errors.push(`bucket "${value['bucket']}" is not a valid S3 bucket name`);
  }
  checkUrl(errors, 'endpoint', value['endpoint'], false);
  if (value['forcePathStyle'] !== undefined && typeof value['forcePathStyle'] !== 'boolean') {
    errors.push('forcePathStyle must be true or false');
  }
  checkString(errors, 'folder', value['folder'], false);
  if (value['auth'] === 'aws') {
    checkString(errors, 'prefix', value['prefix'], true);
    if (typeof value['prefix'] === 'string' && (value['prefix'].startsWith('/') || !value['prefix'].endsWith('/'))) {
      errors.push('prefix must not start with "/" and must end with "/" (e.g. "team/ada/")');
    }
  }
  if (value['auth'] === 'cognito') {
    const cognito = value['cognito'];
    if (!isRecord(cognito)) {
      errors.push('cognito settings are required when auth is "cognito"');
    } else {
      checkUrl(errors, 'cognito.issuer', cognito['issuer'], true);
      checkString(errors, 'cognito.clientId', cognito['clientId'], true);
      checkString(errors, 'cognito.identityPoolId', cognito['identityPoolId'], true);
      checkUrl(errors, 'cognito.redirectUri', cognito['redirectUri'], true);
      checkUrl(errors, 'cognito.identityEndpoint', cognito['identityEndpoint'], false);
      checkUrl(errors, 'cognito.hostedUiBase', cognito['hostedUiBase'], false);
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config: value as unknown as StratusConfig };
}
