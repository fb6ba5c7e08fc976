/**
 * Linux policies: `/etc/stratus/policy.json`, root keys enforced and the
 * `Defaults` object holding defaults (the layout of the plist, and of the
 * generated JSON Schema). `STRATUS_POLICY_FILE` points the reader at another
 * file, for tests and for the CLI on any OS.
 *
 * A policy file that someone other than root could change is ignored with a
 * warning: owned by another user, writable by group or others, or in a folder
 * they could replace it in (a sticky folder such as /tmp is fine). That holds
 * for STRATUS_POLICY_FILE too — otherwise any user could lift the machine's
 * enforced policies by pointing the variable at a file of their own. (It is a
 * guard against misconfiguration and casual override, not a security
 * boundary: the bucket's IAM policy is.) The check is injectable so tests can
 * prove both outcomes whoever runs them; on Windows files have no POSIX
 * owner, and the check passes.
 *
 * The file is opened once and checked through its handle (fstat), so it
 * cannot be swapped between the check and the read. Emits a PolicyLayer.
 */
import { open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { layerFromObject } from './policyLayer.js';
import type { PolicyLayer, PolicySource } from './PolicySource.js';

export const LINUX_POLICY_FILE = '/etc/stratus/policy.json';

export interface FileOwnership {
  readonly uid: number;
  readonly mode: number;
}

/** Why the file cannot be trusted ("it is owned by uid 1000, not root"), or undefined when only root can change it. */
export type OwnershipCheck = (file: string, owner: { readonly file: FileOwnership; readonly dir: FileOwnership }) => string | undefined;

const STICKY = 0o1000;
const GROUP_OR_OTHER_WRITE = 0o022;

/** The default check: file and folder root-owned, neither writable by group or others (a sticky folder may be). */
export function requireRootOwned(platform: NodeJS.Platform = process.platform): OwnershipCheck {
  return (file, owner) => {
    if (platform === 'win32') return undefined;
    if (owner.file.uid !== 0) return `it is owned by uid ${owner.file.uid}, not root`;
    if ((owner.file.mode & GROUP_OR_OTHER_WRITE) !== 0) return `it is writable by group or others (mode ${(owner.file.mode & 0o777).toString(8)})`;
    const dir = dirname(file);
    if (owner.dir.uid !== 0) return `its folder ${dir} is owned by uid ${owner.dir.uid}, not root`;
    if ((owner.dir.mode & GROUP_OR_OTHER_WRITE) !== 0 && (owner.dir.mode & STICKY) === 0) {
      return `its folder ${dir} is writable by group or others (mode ${(owner.dir.mode & 0o777).toString(8)})`;
    }
    return undefined;
  };
}

export interface PolicyFileOptions {
  readonly file: string;
  /** A missing file is a problem (STRATUS_POLICY_FILE names it) rather than "not configured". @default false */
  readonly required?: boolean;
  /** @default requireRootOwned() */
  readonly checkOwnership?: OwnershipCheck;
}

export class PolicyFileSource implements PolicySource {
  readonly location: string;
  private readonly required: boolean;
  private readonly checkOwnership: OwnershipCheck;

  constructor(options: PolicyFileOptions) {
    this.location = options.file;
    this.required = options.required ?? false;
    this.checkOwnership = options.checkOwnership ?? requireRootOwned();
  }

  async read(): Promise<PolicyLayer> {
    const file = this.location;
    let text: string;
    try {
      const handle = await open(file, 'r');
      try {
        const [own, dir] = await Promise.all([handle.stat(), stat(dirname(file))]);
        const untrusted = this.checkOwnership(file, { file: { uid: own.uid, mode: own.mode }, dir: { uid: dir.uid, mode: dir.mode } });
        if (untrusted !== undefined) return { enforced: {}, defaults: {}, problems: [`${file}: ignored because ${untrusted} (only root may be able to change a policy file); none of its policies apply`] };
        if (!own.isFile()) return failed(file, 'not a file');
        text = await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && !this.required) return { enforced: {}, defaults: {}, problems: [] };
      return failed(file, code === 'ENOENT' ? 'does not exist (check STRATUS_POLICY_FILE)' : `cannot read it (${code ?? String(err)})`);
    }
    let root: unknown;
    try {
      root = JSON.parse(text);
    } catch (err) {
      return failed(file, `not valid JSON (${err instanceof Error ? err.message : String(err)})`);
    }
    return layerFromObject(file, root);
  }
}

function failed(file: string, why: string): PolicyLayer {
  return { enforced: {}, defaults: {}, problems: [`${file}: ${why}; none of its policies apply`] };
}
