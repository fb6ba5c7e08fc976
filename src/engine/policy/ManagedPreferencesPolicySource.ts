/**
 * macOS policies: the managed preferences an MDM profile (Jamf, Intune,
 * Munki's .mobileconfig) installs for our bundle ID, `io.stratus.desktop`
 * (electron-builder.yml's appId):
 *
 *   /Library/Managed Preferences/io.stratus.desktop.plist           machine
 *   /Library/Managed Preferences/<user>/io.stratus.desktop.plist    user
 *
 * Root keys are enforced, keys inside the `Defaults` dictionary are defaults
 * (Slack's layout). The files are read directly rather than through
 * CFPreferences (no native module): XML plists are parsed with `plist`,
 * binary ones (`bplist00…`, as cfprefsd writes them) with plist's binary
 * parser, or, when it cannot, converted by `/usr/bin/plutil -convert xml1 -o -`.
 *
 * Emits a PolicyLayer; a missing file is "not configured".
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { layerFromObject } from './policyLayer.js';
import type { PolicyLayer, PolicySource } from './PolicySource.js';

/** electron-builder.yml's appId: the preference domain MDM profiles target. */
export const MAC_POLICY_DOMAIN = 'io.stratus.desktop';
export const MANAGED_PREFERENCES_DIR = '/Library/Managed Preferences';

/** Converts a binary plist file to XML text (`plutil -convert xml1 -o - <file>`). */
export type ConvertBinaryPlist = (file: string) => Promise<string>;

export function managedPreferencesFiles(user: string, dir = MANAGED_PREFERENCES_DIR, domain = MAC_POLICY_DOMAIN): { machine: string; user: string } {
  return { machine: join(dir, `${domain}.plist`), user: join(dir, user, `${domain}.plist`) };
}

export const plutilToXml: ConvertBinaryPlist = (file) =>
  new Promise((resolve, reject) => {
    execFile('/usr/bin/plutil', ['-convert', 'xml1', '-o', '-', file], { timeout: 10_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(stderr.trim() || err.message));
      else resolve(stdout);
    });
  });

export interface ManagedPreferencesOptions {
  /** The plist file (see managedPreferencesFiles). */
  readonly file: string;
  /** @default plutilToXml */
  readonly convertBinary?: ConvertBinaryPlist;
  /** @default fs.readFile */
  readonly readFile?: (file: string) => Promise<Uint8Array>;
}

export class ManagedPreferencesPolicySource implements PolicySource {
  readonly location: string;
  private readonly convertBinary: ConvertBinaryPlist;
  private readonly readBytes: (file: string) => Promise<Uint8Array>;

  constructor(options: ManagedPreferencesOptions) {
    this.location = options.file;
    this.convertBinary = options.convertBinary ?? plutilToXml;
    this.readBytes = options.readFile ?? ((file) => readFile(file));
  }

  async read(): Promise<PolicyLayer> {
    const where = this.location;
    let bytes: Uint8Array;
    try {
      bytes = await this.readBytes(where);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { enforced: {}, defaults: {}, problems: [] };
      return failed(where, `cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    let root: unknown;
    try {
      root = await this.parse(bytes);
    } catch (err) {
      return failed(where, `not a valid property list (${err instanceof Error ? err.message : String(err)})`);
    }
    // A custom-settings payload may carry its profile keys (PayloadUUID, PayloadType…) into the managed file.
    return layerFromObject(where, root, { ignoreKeys: /^Payload[A-Z]/ });
  }

  private async parse(bytes: Uint8Array): Promise<unknown> {
    // Loaded on use: only a Mac with a managed-preferences file needs the plist parser (≈3 MB of
    // modules every other run of the CLI and the engine would carry).
    const { parse, parseBinary } = await import('plist');
    if (Buffer.from(bytes.subarray(0, 6)).toString('latin1') !== 'bplist') return parse(Buffer.from(bytes).toString('utf8'));
    try {
      return parseBinary(bytes);
    } catch {
      // A binary format plist's own parser does not know yet: Apple's tool does.
      return parse(await this.convertBinary(this.location));
    }
  }
}

function failed(where: string, why: string): PolicyLayer {
  return { enforced: {}, defaults: {}, problems: [`${where}: ${why}; none of its policies apply`] };
}
