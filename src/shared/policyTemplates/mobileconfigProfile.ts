/**
 * The example macOS configuration profile (issue 9), as a plist value; the
 * caller serialises it (the `plist` package: this layer imports no npm code).
 *
 *   Configuration profile (PayloadType Configuration)
 *     PayloadContent[0]: preference-domain payload, PayloadType = bundle id
 *       <Name>: value          enforced, lands at the root of
 *                              /Library/Managed Preferences/<bundle id>.plist
 *       Defaults: { <Name> }   defaults users can change
 *
 * Should macOS copy the payload's Payload* keys into the managed
 * preferences, a reader must not take them for policies. The UUIDs are fixed so regenerating never changes the file;
 * an admin deploying their own edited copy should give it their own UUIDs.
 */
import type { PolicySet, PolicyValue } from './policyExample.js';

/** electron-builder.yml's appId: the bundle id, hence the preference domain. */
export const APP_BUNDLE_ID = 'io.stratus.desktop';
const PROFILE_UUID = 'D5237256-01D9-4844-8F5C-3A69E16E8439';
const PREFERENCES_PAYLOAD_UUID = '0EB24400-523E-4D5D-93A7-6F36711FF83F';

/** What the `plist` package's build() accepts, restricted to what a profile needs. */
export type PlistData = string | number | boolean | PlistData[] | { [key: string]: PlistData };

function toPlist(values: Readonly<Record<string, PolicyValue>>): { [key: string]: PlistData } {
  const out: { [key: string]: PlistData } = {};
  for (const [name, value] of Object.entries(values)) out[name] = Array.isArray(value) ? [...value] : (value as string | number | boolean);
  return out;
}

export function mobileconfigProfile(example: PolicySet): { [key: string]: PlistData } {
  const preferences: { [key: string]: PlistData } = {
    PayloadType: APP_BUNDLE_ID,
    PayloadIdentifier: `${APP_BUNDLE_ID}.policies`,
    PayloadUUID: PREFERENCES_PAYLOAD_UUID,
    PayloadVersion: 1,
    PayloadDisplayName: 'Stratus policies',
    PayloadDescription: 'Root keys are enforced; keys in Defaults are defaults users can change.',
    PayloadEnabled: true,
    ...toPlist(example.enforced),
    Defaults: toPlist(example.defaults),
  };
  return {
    PayloadContent: [preferences],
    PayloadDescription: 'Example: points Stratus at the organization\'s backend and sets its policies. Edit the values, then deploy with your MDM.',
    PayloadDisplayName: 'Stratus',
    PayloadIdentifier: `${APP_BUNDLE_ID}.profile`,
    PayloadOrganization: 'Example Corp',
    PayloadScope: 'System',
    PayloadType: 'Configuration',
    PayloadUUID: PROFILE_UUID,
    PayloadVersion: 1,
  };
}
