/**
 * The example policy set shown in the macOS profile and the Linux example
 * file (issue 9): a locked backend with updates off and admin ignore patterns
 * enforced, and a few defaults users may change. Fictional values only.
 */
import { policyNamed } from '../policies.js';

export type PolicyValue = string | number | boolean | readonly string[];

/** Slack's split, as the plist and the JSON file hold it: root keys enforced, `Defaults` defaults. */
export interface PolicySet {
  readonly enforced: Readonly<Record<string, PolicyValue>>;
  readonly defaults: Readonly<Record<string, PolicyValue>>;
}

export const POLICY_EXAMPLE: PolicySet = {
  enforced: {
    CognitoRegion: 'eu-west-1',
    CognitoUserPoolId: 'eu-west-1_AbCdEfGhI',
    CognitoAppClientId: '1example23456789abcdefghij',
    CognitoHostedUiDomain: 'https://auth.example.com',
    CognitoIdentityPoolId: 'eu-west-1:11111111-2222-3333-4444-555555555555',
    Bucket: 'example-corp-stratus',
    LockBackend: true,
    AllowAwsAuthMode: false,
    DisableAutoUpdate: true,
    AdminIgnorePatterns: ['*.tmp', '~$*', 'Thumbs.db'],
  },
  defaults: {
    DefaultSyncFolder: '~/Stratus',
    UploadLimitKiBps: 10240,
    NotificationLevel: 'attention',
    StartAtLogin: true,
  },
};

/** Why `value` cannot be `name`'s value as enforced (or default) policy, or undefined when it can. */
export function policyValueProblem(name: string, value: PolicyValue, asDefault: boolean): string | undefined {
  const p = policyNamed(name);
  if (p === undefined) return `${name} is not a policy`;
  if (asDefault ? !p.canBeDefault : !p.canBeEnforced) return `${name} cannot be ${asDefault ? 'a default' : 'enforced'}`;
  switch (p.type) {
    case 'string':
      return typeof value === 'string' ? undefined : `${name} takes a string`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `${name} takes true or false`;
    case 'integer':
      return Number.isInteger(value) && (value as number) >= (p.min ?? 0) && (value as number) <= (p.max ?? 4294967295)
        ? undefined
        : `${name} takes a whole number from ${p.min ?? 0} to ${p.max ?? 4294967295}`;
    case 'enum':
      return typeof value === 'string' && (p.values ?? []).includes(value) ? undefined : `${name} takes one of ${(p.values ?? []).join(', ')}`;
    case 'string-list':
      return Array.isArray(value) && value.every((entry) => typeof entry === 'string') ? undefined : `${name} takes a list of strings`;
  }
}
