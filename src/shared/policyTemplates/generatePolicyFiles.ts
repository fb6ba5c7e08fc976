/**
 * Every file generated from the policy definitions (issue 9), as
 * repository-relative path → content. Pure: scripts/generate-policies.js
 * writes the result, and test/build/policies.test.ts compares it with the
 * committed files (a stale template fails the test).
 *
 * Emits: the Windows ADMX and en-US ADML, the macOS example profile, the
 * Linux JSON Schema and example, and docs/admin-guide.md with its policy
 * reference section regenerated.
 */
import { POLICY_EXAMPLE, policyValueProblem } from './policyExample.js';
import { APP_BUNDLE_ID, mobileconfigProfile, type PlistData } from './mobileconfigProfile.js';
import { renderAdml, renderAdmx } from './renderAdmx.js';
import { renderPolicyExample, renderPolicySchema } from './renderPolicySchema.js';
import { renderPolicyReference, spliceAdminGuide } from './renderPolicyReference.js';

export const ADMIN_GUIDE_PATH = 'docs/admin-guide.md';

export const POLICY_FILE_PATHS = {
  admx: 'build/policies/windows/Stratus.admx',
  adml: 'build/policies/windows/en-US/Stratus.adml',
  mobileconfig: `build/policies/macos/${APP_BUNDLE_ID}.mobileconfig`,
  schema: 'build/policies/linux/policy.schema.json',
  example: 'build/policies/linux/policy.example.json',
  adminGuide: ADMIN_GUIDE_PATH,
} as const;

export interface GeneratePolicyFilesOptions {
  /** Serialises a plist value to XML: the `plist` package's build(), injected because src/shared imports no npm code. */
  readonly buildPlist: (value: { [key: string]: PlistData }) => string;
  /** The current docs/admin-guide.md, whose hand-written parts are kept; undefined when it does not exist yet. */
  readonly adminGuide: string | undefined;
}

/** Throws when the example names an unknown policy or gives one a value of the wrong type. */
function checkExample(): void {
  const problems = [
    ...Object.entries(POLICY_EXAMPLE.enforced).map(([name, value]) => policyValueProblem(name, value, false)),
    ...Object.entries(POLICY_EXAMPLE.defaults).map(([name, value]) => policyValueProblem(name, value, true)),
  ].filter((problem) => problem !== undefined);
  if (problems.length > 0) throw new Error(`POLICY_EXAMPLE: ${problems.join('; ')}`);
}

export function generatePolicyFiles(options: GeneratePolicyFilesOptions): Record<string, string> {
  checkExample();
  const profile = options.buildPlist(mobileconfigProfile(POLICY_EXAMPLE));
  return {
    [POLICY_FILE_PATHS.admx]: renderAdmx(),
    [POLICY_FILE_PATHS.adml]: renderAdml(),
    [POLICY_FILE_PATHS.mobileconfig]: profile.endsWith('\n') ? profile : `${profile}\n`,
    [POLICY_FILE_PATHS.schema]: renderPolicySchema(),
    [POLICY_FILE_PATHS.example]: renderPolicyExample(POLICY_EXAMPLE),
    [POLICY_FILE_PATHS.adminGuide]: spliceAdminGuide(options.adminGuide, renderPolicyReference()),
  };
}
