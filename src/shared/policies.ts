/**
 * Every managed-configuration policy Stratus reads (issue 9), defined once.
 * The Windows ADMX/ADML templates, the macOS .mobileconfig example, the
 * Linux policy.json schema and example, and the policy reference in
 * docs/admin-guide.md are generated from this list (scripts/generate-policies.js;
 * a test fails when a generated file is stale), and the policy readers and
 * the settings precedence use it to know each policy's type and setting.
 *
 * Names are PascalCase and the same on every OS. A policy can be set as a
 * default the user may change (`canBeDefault`) or enforced (`canBeEnforced`):
 * on macOS and Linux, root keys are enforced and keys inside a `Defaults`
 * object are defaults (Slack's layout); on Windows, enforced values live in
 * the policy key and defaults in its `Defaults` subkey.
 *
 * Each policy governs one setting, named in camelCase as `stratus config
 * --json` prints it.
 */

export type PolicyType = 'string' | 'boolean' | 'integer' | 'enum' | 'string-list';

export type PolicyCategory = 'Backend' | 'Sync' | 'Sign-in' | 'Network' | 'Updates' | 'Notifications' | 'Startup' | 'Diagnostics';

export interface PolicyDefinition {
  /** PascalCase, the same in the registry, the plist and the JSON file. */
  readonly name: string;
  readonly type: PolicyType;
  /** The setting it governs (camelCase). */
  readonly setting: string;
  readonly category: PolicyCategory;
  /** One or two sentences for admins: what it does, units, and what happens when it is not set. */
  readonly description: string;
  /** Allowed values of an `enum`. */
  readonly values?: readonly string[];
  /** Range of an `integer`. */
  readonly min?: number;
  readonly max?: number;
  /** The built-in default when neither the policy nor the user sets it (absent: none). */
  readonly default?: string | number | boolean | readonly string[];
  readonly canBeDefault: boolean;
  readonly canBeEnforced: boolean;
}

export const POLICY_CATEGORIES: readonly PolicyCategory[] = ['Backend', 'Sync', 'Sign-in', 'Network', 'Updates', 'Notifications', 'Startup', 'Diagnostics'];

export const POLICIES: readonly PolicyDefinition[] = [
  // Backend: where every copy points.
  { name: 'CognitoRegion', type: 'string', setting: 'region', category: 'Backend', description: 'AWS region of the Cognito user pool, identity pool and bucket (e.g. eu-west-1).', canBeDefault: true, canBeEnforced: true },
  { name: 'CognitoUserPoolId', type: 'string', setting: 'cognitoUserPoolId', category: 'Backend', description: 'ID of the Cognito user pool users sign in to (e.g. eu-west-1_AbCdEfGhI).', canBeDefault: true, canBeEnforced: true },
  { name: 'CognitoAppClientId', type: 'string', setting: 'cognitoAppClientId', category: 'Backend', description: 'ID of the public app client (authorization code with PKCE, no client secret).', canBeDefault: true, canBeEnforced: true },
  { name: 'CognitoHostedUiDomain', type: 'string', setting: 'cognitoHostedUiDomain', category: 'Backend', description: 'The user pool\'s hosted UI domain, as an https URL (e.g. https://auth.example.com).', canBeDefault: true, canBeEnforced: true },
  { name: 'CognitoIdentityPoolId', type: 'string', setting: 'cognitoIdentityPoolId', category: 'Backend', description: 'ID of the identity pool that gives signed-in users their AWS credentials (e.g. eu-west-1:1234…).', canBeDefault: true, canBeEnforced: true },
  { name: 'CognitoRedirectPort', type: 'integer', setting: 'cognitoRedirectPort', category: 'Backend', min: 1024, max: 65535, default: 53682, description: 'Loopback port of the sign-in callback (http://localhost:PORT/callback); it must match a callback URL of the app client exactly.', canBeDefault: true, canBeEnforced: true },
  { name: 'LockBackend', type: 'boolean', setting: 'lockBackend', category: 'Backend', default: false, description: 'When true, no other backend can be configured: the Cognito, bucket and endpoint settings above are the only ones used, and the CLI refuses flags or config files that name another.', canBeDefault: false, canBeEnforced: true },
  { name: 'Bucket', type: 'string', setting: 'bucket', category: 'Backend', description: 'The S3 bucket holding every user\'s prefix (<identityId>/).', canBeDefault: true, canBeEnforced: true },
  { name: 'S3Endpoint', type: 'string', setting: 'endpoint', category: 'Backend', description: 'An S3-compatible endpoint URL; not set means AWS S3 in the region.', canBeDefault: true, canBeEnforced: true },
  { name: 'AllowAwsAuthMode', type: 'boolean', setting: 'allowAwsAuthMode', category: 'Backend', default: true, description: 'Whether the CLI may use the "aws" auth mode (the AWS SDK credential chain and any prefix) instead of signing in through Cognito.', canBeDefault: false, canBeEnforced: true },
  // Sync.
  { name: 'DefaultSyncFolder', type: 'string', setting: 'folder', category: 'Sync', description: 'Where the sync folder is created at first run; ~ and %USERPROFILE% are expanded (e.g. ~/Stratus).', default: '~/Stratus', canBeDefault: true, canBeEnforced: true },
  { name: 'LockSyncFolder', type: 'boolean', setting: 'lockSyncFolder', category: 'Sync', default: false, description: 'When true, users cannot choose another sync folder than DefaultSyncFolder.', canBeDefault: false, canBeEnforced: true },
  { name: 'UploadLimitKiBps', type: 'integer', setting: 'uploadLimitKiBps', category: 'Sync', min: 1, max: 1_073_741_824, description: 'Upload bandwidth limit in KiB per second; not set means no limit.', canBeDefault: true, canBeEnforced: true },
  { name: 'DownloadLimitKiBps', type: 'integer', setting: 'downloadLimitKiBps', category: 'Sync', min: 1, max: 1_073_741_824, description: 'Download bandwidth limit in KiB per second; not set means no limit.', canBeDefault: true, canBeEnforced: true },
  { name: 'MassDeleteMaxFiles', type: 'integer', setting: 'massDeleteMaxFiles', category: 'Sync', min: 1, max: 1_000_000, default: 500, description: 'A sync that would delete more files than this in one run stops and asks first.', canBeDefault: true, canBeEnforced: true },
  { name: 'MassDeleteMaxPercent', type: 'integer', setting: 'massDeleteMaxPercent', category: 'Sync', min: 1, max: 100, default: 50, description: 'A sync that would delete more than this percentage of the synced files (above 10 files) stops and asks first.', canBeDefault: true, canBeEnforced: true },
  { name: 'MinimumFreeDiskMiB', type: 'integer', setting: 'minimumFreeDiskMiB', category: 'Sync', min: 0, max: 1_048_576, default: 256, description: 'Downloads never leave less free disk space than this many MiB.', canBeDefault: true, canBeEnforced: true },
  { name: 'FirstDownloadConfirmAboveMiB', type: 'integer', setting: 'firstDownloadConfirmAboveMiB', category: 'Sync', min: 0, max: 1_073_741_824, description: 'A folder\'s first sync whose downloads total more than this many MiB stops before anything moves and asks (Download in the app, --confirm-download in the CLI); not set means never ask.', canBeDefault: true, canBeEnforced: true },
  { name: 'AdminIgnorePatterns', type: 'string-list', setting: 'adminIgnorePatterns', category: 'Sync', description: 'Ignore patterns (gitignore syntax) applied before the user\'s .stratusignore; shown read-only in the ignore editor and cannot be removed by users.', canBeDefault: false, canBeEnforced: true },
  // Sign-in.
  { name: 'LoginInSystemBrowser', type: 'boolean', setting: 'useSystemBrowser', category: 'Sign-in', default: false, description: 'Sign in in the system browser instead of the app\'s own login window.', canBeDefault: true, canBeEnforced: true },
  { name: 'LoginHint', type: 'string', setting: 'loginHint', category: 'Sign-in', description: 'A login_hint passed to the hosted UI (e.g. the user\'s e-mail domain or address).', canBeDefault: true, canBeEnforced: true },
  { name: 'SkipFirstRunTour', type: 'boolean', setting: 'skipFirstRunTour', category: 'Sign-in', default: false, description: 'Skip the first-run explanations; the first run still asks to sign in and, unless LockSyncFolder is set, for the folder.', canBeDefault: true, canBeEnforced: true },
  // Network.
  { name: 'ProxyUrl', type: 'string', setting: 'proxyUrl', category: 'Network', description: 'HTTP(S) proxy for every connection Stratus makes (e.g. http://proxy.example.com:3128); not set means HTTPS_PROXY from the environment, or none.', canBeDefault: true, canBeEnforced: true },
  { name: 'ProxyBypassList', type: 'string-list', setting: 'proxyBypassList', category: 'Network', description: 'Hosts reached without the proxy (NO_PROXY syntax: example.com, .internal, 10.0.0.0/8).', canBeDefault: true, canBeEnforced: true },
  { name: 'ExtraCaCertificates', type: 'string', setting: 'extraCaCertificates', category: 'Network', description: 'Path of a PEM file with extra CA certificates to trust, beside the system\'s (e.g. a TLS-inspecting proxy\'s CA).', canBeDefault: true, canBeEnforced: true },
  // Updates.
  { name: 'DisableAutoUpdate', type: 'boolean', setting: 'disableAutoUpdate', category: 'Updates', default: false, description: 'When true, Stratus never checks for, downloads or installs updates; IT deploys new versions.', canBeDefault: false, canBeEnforced: true },
  { name: 'UpdateChannel', type: 'enum', setting: 'updateChannel', category: 'Updates', values: ['latest', 'beta'], default: 'latest', description: 'Which releases automatic updates follow.', canBeDefault: true, canBeEnforced: true },
  // Notifications.
  { name: 'NotificationLevel', type: 'enum', setting: 'notificationLevel', category: 'Notifications', values: ['all', 'attention', 'errors', 'off'], default: 'all', description: 'Which notifications are shown: all (including file changes), attention (conflicts, sign-in, stopped deletes, errors), errors only, or off.', canBeDefault: true, canBeEnforced: true },
  // Startup.
  { name: 'StartAtLogin', type: 'boolean', setting: 'startAtLogin', category: 'Startup', default: true, description: 'Start Stratus when the user logs in.', canBeDefault: true, canBeEnforced: true },
  // Diagnostics.
  { name: 'LogLevel', type: 'enum', setting: 'logLevel', category: 'Diagnostics', values: ['error', 'warn', 'info', 'debug'], default: 'info', description: 'How much Stratus writes to its log.', canBeDefault: true, canBeEnforced: true },
];

/** The definition of `name`, or undefined. */
export function policyNamed(name: string): PolicyDefinition | undefined {
  return POLICIES.find((p) => p.name === name);
}

/** Where a setting's effective value came from (`stratus config --json`). */
export type SettingSource = 'default' | 'policy-default' | 'user' | 'flag' | 'policy';
