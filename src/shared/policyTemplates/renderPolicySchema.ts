/**
 * The Linux policy file's JSON Schema (draft 2020-12) and its example
 * (issue 9), rendered from POLICIES. /etc/stratus/policy.json:
 *
 *   {
 *     "Bucket": "example-corp-stratus",      enforced (root keys)
 *     "LockBackend": true,
 *     "Defaults": {                           defaults users can change
 *       "UploadLimitKiBps": 10240
 *     }
 *   }
 *
 * Unknown keys are errors (additionalProperties false), so a typo in a
 * policy name is caught by any schema-aware editor or validator; only
 * "$schema" is allowed beside the policies (the readers skip it).
 */
import { POLICIES, type PolicyDefinition } from '../policies.js';
import type { PolicySet } from './policyExample.js';

export const LINUX_POLICY_FILE = '/etc/stratus/policy.json';

type JsonSchema = Record<string, unknown>;

function valueSchema(p: PolicyDefinition): JsonSchema {
  const schema: JsonSchema = { description: p.description };
  switch (p.type) {
    case 'string':
      schema.type = 'string';
      break;
    case 'boolean':
      schema.type = 'boolean';
      break;
    case 'integer':
      schema.type = 'integer';
      if (p.min !== undefined) schema.minimum = p.min;
      if (p.max !== undefined) schema.maximum = p.max;
      break;
    case 'enum':
      schema.type = 'string';
      schema.enum = [...(p.values ?? [])];
      break;
    case 'string-list':
      schema.type = 'array';
      schema.items = { type: 'string' };
      break;
  }
  if (p.default !== undefined) schema.default = p.default;
  return schema;
}

/** The schema as a JSON value. */
export function policySchema(): JsonSchema {
  const defaults: Record<string, JsonSchema> = {};
  for (const p of POLICIES) if (p.canBeDefault) defaults[p.name] = valueSchema(p);
  // The readers skip "$schema", so a policy file can name its schema for editors.
  const properties: Record<string, JsonSchema> = { $schema: { description: 'The schema this file follows (for editors; Stratus ignores it).', type: 'string' } };
  for (const p of POLICIES) if (p.canBeEnforced) properties[p.name] = valueSchema(p);
  properties.Defaults = {
    description: 'Defaults: the values users start with; they can change them. An enforced key at the root wins over the same key here.',
    type: 'object',
    properties: defaults,
    additionalProperties: false,
  };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `Stratus policy file (${LINUX_POLICY_FILE})`,
    description:
      'Managed configuration for Stratus on Linux. Root keys are enforced (users cannot change them); keys inside Defaults are defaults. Generated from src/shared/policies.ts by `npm run policies`.',
    type: 'object',
    properties,
    additionalProperties: false,
  };
}

export function renderPolicySchema(): string {
  return `${JSON.stringify(policySchema(), null, 2)}\n`;
}

/** Where the example file points its `$schema`: the schema beside it. */
export const POLICY_EXAMPLE_SCHEMA_REF = './policy.schema.json';

/** policy.example.json: the example set in the file's own layout. */
export function renderPolicyExample(example: PolicySet): string {
  return `${JSON.stringify({ $schema: POLICY_EXAMPLE_SCHEMA_REF, ...example.enforced, Defaults: example.defaults }, null, 2)}\n`;
}
