/**
 * The port every managed-configuration reader implements (issue 9): one
 * source per scope (machine or user) per OS — the Windows registry hives, the
 * macOS managed preferences, the Linux policy file. A read is always fresh:
 * nothing is cached, so a policy the admin removed stops applying at the next
 * read (OneDrive's "Not configured keeps the old value" is the trap avoided).
 *
 * Emits a `PolicyLayer`: enforced values, default values, and one line per
 * problem (a wrong type, an unknown name, an unsafe file). A reader never
 * throws for bad content; a broken policy is dropped and said, not fatal.
 */

/** A validated policy value, typed by its definition (see src/shared/policies.ts). */
export type PolicyValue = string | number | boolean | readonly string[];

/** Policy name (PascalCase, as in src/shared/policies.ts) → value. */
export type PolicyValues = Readonly<Record<string, PolicyValue>>;

export interface PolicyLayer {
  /** Values the user cannot change (Windows: the policy key; plist/JSON: root keys). */
  readonly enforced: PolicyValues;
  /** Values the user may change (Windows: the `Defaults` subkey; plist/JSON: the `Defaults` object). */
  readonly defaults: PolicyValues;
  /** One line each, naming where the problem is ("HKLM\\…\\Stratus: Bucket must be a string…"). */
  readonly problems: readonly string[];
}

export interface PolicySource {
  /** Where it reads, for messages ("HKLM\\SOFTWARE\\Policies\\Stratus", "/etc/stratus/policy.json"). */
  readonly location: string;
  read(): Promise<PolicyLayer>;
}

/** Both scopes, as precedence needs them: machine beats user. */
export interface PolicySet {
  readonly machine: PolicyLayer;
  readonly user: PolicyLayer;
}

export const EMPTY_LAYER: PolicyLayer = Object.freeze({ enforced: Object.freeze({}), defaults: Object.freeze({}), problems: Object.freeze([]) });

/** Reads both scopes (a missing scope is empty); the sources are read in parallel, afresh. */
export async function readPolicySet(sources: { readonly machine?: PolicySource; readonly user?: PolicySource }): Promise<PolicySet> {
  const [machine, user] = await Promise.all([sources.machine?.read() ?? EMPTY_LAYER, sources.user?.read() ?? EMPTY_LAYER]);
  return { machine, user };
}
