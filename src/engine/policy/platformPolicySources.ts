/**
 * Which policy sources this machine has: Windows HKLM (machine) and HKCU
 * (user); macOS the machine and per-user managed preferences; Linux
 * /etc/stratus/policy.json (machine). STRATUS_POLICY_FILE, when set, replaces
 * them all with one JSON file (machine scope): for tests, and for the CLI on
 * any OS. The composition roots (CLI, main process) call this once and read
 * the sources afresh whenever settings are (re)computed.
 */
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { ManagedPreferencesPolicySource, managedPreferencesFiles, type ConvertBinaryPlist } from './ManagedPreferencesPolicySource.js';
import { LINUX_POLICY_FILE, PolicyFileSource, type OwnershipCheck } from './PolicyFileSource.js';
import type { PolicySource } from './PolicySource.js';
import { defaultRunRegQuery, RegistryPolicySource, type RunRegQuery } from './RegistryPolicySource.js';

export interface PlatformPolicyOptions {
  readonly platform: NodeJS.Platform;
  /** Reads STRATUS_POLICY_FILE (and SystemRoot on Windows). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** A relative STRATUS_POLICY_FILE is resolved against it. @default process.cwd() */
  readonly cwd?: string;
  /** macOS: whose per-user managed preferences. @default os.userInfo().username */
  readonly user?: string;
  readonly runRegQuery?: RunRegQuery;
  readonly convertBinaryPlist?: ConvertBinaryPlist;
  readonly checkOwnership?: OwnershipCheck;
}

export interface PolicySources {
  readonly machine?: PolicySource;
  readonly user?: PolicySource;
}

export function platformPolicySources(options: PlatformPolicyOptions): PolicySources {
  const ownership = options.checkOwnership === undefined ? {} : { checkOwnership: options.checkOwnership };
  const override = options.env['STRATUS_POLICY_FILE'];
  if (override !== undefined && override !== '') {
    return { machine: new PolicyFileSource({ file: resolve(options.cwd ?? process.cwd(), override), required: true, ...ownership }) };
  }
  if (options.platform === 'win32') {
    const run = options.runRegQuery ?? defaultRunRegQuery(options.env);
    // Machine first: HKLM beats HKCU (resolveSettings applies the order).
    return { machine: new RegistryPolicySource('HKLM', run), user: new RegistryPolicySource('HKCU', run) };
  }
  if (options.platform === 'darwin') {
    const files = managedPreferencesFiles(options.user ?? userInfo().username);
    const convert = options.convertBinaryPlist === undefined ? {} : { convertBinary: options.convertBinaryPlist };
    return {
      machine: new ManagedPreferencesPolicySource({ file: files.machine, ...convert }),
      user: new ManagedPreferencesPolicySource({ file: files.user, ...convert }),
    };
  }
  return { machine: new PolicyFileSource({ file: LINUX_POLICY_FILE, ...ownership }) };
}
