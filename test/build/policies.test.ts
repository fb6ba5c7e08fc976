/**
 * The files generated from the policy definitions (issue 9): the committed
 * copies are not stale; the ADMX/ADML follow the Group Policy schema rules
 * that break the editor when violated (VS Code shipped ids with dots); the
 * Linux JSON Schema accepts the example and rejects mistakes; the macOS
 * profile parses and carries the keys an MDM needs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { build, parse } from 'plist';
import { describe, expect, it } from 'vitest';
import { POLICIES, policyNamed } from '../../src/shared/policies.js';
import { ADMIN_GUIDE_PATH, generatePolicyFiles, POLICY_FILE_PATHS } from '../../src/shared/policyTemplates/generatePolicyFiles.js';
import { POLICY_EXAMPLE, policyValueProblem, type PolicyValue } from '../../src/shared/policyTemplates/policyExample.js';
import { ADMX_ID, ADMX_SCHEMA_NAMESPACE } from '../../src/shared/policyTemplates/renderAdmx.js';
import { POLICY_REFERENCE_END, POLICY_REFERENCE_START, spliceAdminGuide } from '../../src/shared/policyTemplates/renderPolicyReference.js';

const repo = resolve(import.meta.dirname, '../..');

function committed(path: string): string | undefined {
  const file = resolve(repo, path);
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

function generate(): Record<string, string> {
  return generatePolicyFiles({ buildPlist: (value) => build(value), adminGuide: committed(ADMIN_GUIDE_PATH) });
}

const generated = generate();
const admx = generated[POLICY_FILE_PATHS.admx] ?? '';
const adml = generated[POLICY_FILE_PATHS.adml] ?? '';

describe('generated policy files', () => {
  it('match the committed files', () => {
    for (const [path, content] of Object.entries(generated)) {
      expect(committed(path), `${path} is stale: run npm run policies`).toBe(content);
    }
  });

  it('come out the same on every run (no dates, no random UUIDs)', () => {
    expect(generate()).toEqual(generated);
  });

  it('keeps the hand-written parts of the admin guide and replaces only the reference', () => {
    const guide = `# Guide\n\n## Install\n\nmsiexec …\n\n${POLICY_REFERENCE_START}\nold table\n${POLICY_REFERENCE_END}\n\n## Rollout\n\nchecklist\n`;
    const spliced = spliceAdminGuide(guide, 'new table\n');
    expect(spliced).toBe(`# Guide\n\n## Install\n\nmsiexec …\n\n${POLICY_REFERENCE_START}\nnew table\n${POLICY_REFERENCE_END}\n\n## Rollout\n\nchecklist\n`);
    expect(spliceAdminGuide('# Guide\n\nintro\n', 'table\n')).toBe(`# Guide\n\nintro\n\n## Policy reference\n\n${POLICY_REFERENCE_START}\ntable\n${POLICY_REFERENCE_END}\n`);
  });

  it('lists every policy in the admin guide reference', () => {
    const guide = generated[ADMIN_GUIDE_PATH] ?? '';
    const reference = guide.slice(guide.indexOf(POLICY_REFERENCE_START), guide.indexOf(POLICY_REFERENCE_END));
    for (const p of POLICIES) expect(reference).toContain(`| \`${p.name}\` |`);
  });
});

// ---------------------------------------------------------------------------------------------
// ADMX / ADML checks: the schema rules that matter to the Group Policy editor, on parsed XML.

type Node = Record<string, unknown>;
const ARRAYS = new Set(['category', 'policy', 'definition', 'string', 'presentation', 'item', 'decimal', 'text', 'enum', 'list', 'target', 'using', 'parentCategory']);
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseAttributeValue: false, isArray: (name) => ARRAYS.has(name) });
const ordered = new XMLParser({ ignoreAttributes: true, preserveOrder: true });

function nodes(value: unknown): Node[] {
  return Array.isArray(value) ? (value as Node[]) : value === undefined ? [] : [value as Node];
}
function attr(node: Node | undefined, name: string): string | undefined {
  const value = node?.[`@_${name}`];
  return typeof value === 'string' ? value : undefined;
}
function child(node: Node | undefined, name: string): Node | undefined {
  return nodes(node?.[name])[0];
}
function references(xml: string, kind: 'string' | 'presentation'): string[] {
  return [...xml.matchAll(new RegExp(`\\$\\(${kind}\\.([^)]*)\\)`, 'g'))].map((m) => m[1] ?? '');
}
/** Child element names of each <policy>, in document order (the schema fixes the order). */
function policyChildOrder(xml: string): string[][] {
  const tree = ordered.parse(xml) as Node[];
  const root = tree.find((n) => 'policyDefinitions' in n)?.policyDefinitions as Node[] | undefined;
  const policies = (root?.find((n) => 'policies' in n)?.policies ?? []) as Node[];
  return policies.filter((n) => 'policy' in n).map((n) => (n.policy as Node[]).map((c) => Object.keys(c)[0] ?? ''));
}

const SCHEMA_ORDER = ['parentCategory', 'seeAlso', 'keywords', 'supportedOn', 'enabledValue', 'disabledValue', 'enabledList', 'disabledList', 'elements'];
const MAX_DWORD = 4294967295;

/** Every rule the template breaks, as readable sentences; empty when it is fine. */
function admxProblems(admxText: string, admlText: string): string[] {
  const problems: string[] = [];
  for (const [name, text] of [['ADMX', admxText], ['ADML', admlText]] as const) {
    const valid = XMLValidator.validate(text);
    if (valid !== true) return [`${name} is not well-formed: ${valid.err.msg} (line ${valid.err.line})`];
  }
  const defs = child(parser.parse(admxText) as Node, 'policyDefinitions');
  const res = child(parser.parse(admlText) as Node, 'policyDefinitionResources');
  for (const [name, root] of [['ADMX', defs], ['ADML', res]] as const) {
    if (attr(root, 'xmlns') !== ADMX_SCHEMA_NAMESPACE) problems.push(`${name} root does not declare the PolicyDefinitions namespace`);
    if (!/^\d+\.\d+$/.test(attr(root, 'revision') ?? '') || attr(root, 'schemaVersion') !== '1.0') problems.push(`${name} root lacks revision/schemaVersion`);
  }
  const namespaces = child(defs, 'policyNamespaces');
  const target = child(namespaces, 'target');
  if (attr(target, 'prefix') === undefined || attr(target, 'namespace') === undefined) problems.push('no target namespace');
  if ((attr(target, 'namespace') ?? '').startsWith('Microsoft.')) problems.push('the target namespace is Microsoft\'s');
  const prefixes = new Set([target, ...nodes(namespaces?.using)].map((n) => attr(n, 'prefix')));
  const required = Number(attr(child(defs, 'resources'), 'minRequiredRevision'));
  if (!(required <= Number(attr(res, 'revision')))) problems.push('the ADML revision is below the ADMX minRequiredRevision');

  const strings = new Map<string, number>();
  const stringTable = child(child(res, 'resources'), 'stringTable');
  for (const s of nodes(stringTable?.string)) strings.set(attr(s, 'id') ?? '', (strings.get(attr(s, 'id') ?? '') ?? 0) + 1);
  const presentations = new Map<string, Node>();
  for (const p of nodes(child(child(res, 'resources'), 'presentationTable')?.presentation)) {
    const id = attr(p, 'id') ?? '';
    if (presentations.has(id)) problems.push(`presentation ${id} defined twice`);
    presentations.set(id, p);
  }
  for (const [id, count] of strings) {
    if (!ADMX_ID.test(id)) problems.push(`string id "${id}" is not letters, digits and underscores`);
    if (count > 1) problems.push(`string ${id} defined ${count} times`);
  }
  for (const id of references(admxText, 'string')) if (!strings.has(id)) problems.push(`$(string.${id}) is not in the ADML string table`);
  for (const id of references(admxText, 'presentation')) if (!presentations.has(id)) problems.push(`$(presentation.${id}) is not in the ADML presentation table`);
  for (const id of [...references(admxText, 'string'), ...references(admxText, 'presentation'), ...presentations.keys()]) {
    if (!ADMX_ID.test(id)) problems.push(`reference id "${id}" is not letters, digits and underscores`);
  }

  const resolvable = (ref: string | undefined, local: Set<string>): boolean => {
    if (ref === undefined) return false;
    const [prefix, name] = ref.includes(':') ? ref.split(':') : [undefined, ref];
    return prefix === undefined ? local.has(name ?? '') : prefixes.has(prefix);
  };
  const supported = new Set(nodes(child(child(defs, 'supportedOn'), 'definitions')?.definition).map((d) => attr(d, 'name') ?? ''));
  const categories = new Set<string>();
  for (const c of nodes(child(defs, 'categories')?.category)) {
    const name = attr(c, 'name') ?? '';
    if (!ADMX_ID.test(name)) problems.push(`category name "${name}" is not a valid id`);
    if (categories.has(name)) problems.push(`category ${name} defined twice`);
    categories.add(name);
  }
  for (const c of nodes(child(defs, 'categories')?.category)) {
    for (const parent of nodes(c.parentCategory)) if (!resolvable(attr(parent, 'ref'), categories)) problems.push(`category ${attr(c, 'name')} has an unknown parent ${attr(parent, 'ref')}`);
  }

  const names = new Set<string>();
  for (const policy of nodes(child(defs, 'policies')?.policy)) {
    const name = attr(policy, 'name') ?? '';
    const where = `policy ${name}`;
    if (!ADMX_ID.test(name)) problems.push(`${where}: name is not letters, digits and underscores (no dots)`);
    if (names.has(name)) problems.push(`${where}: defined twice`);
    names.add(name);
    if (!['Machine', 'User', 'Both'].includes(attr(policy, 'class') ?? '')) problems.push(`${where}: class is not Machine, User or Both`);
    const key = attr(policy, 'key') ?? '';
    if (key === '' || /^(HK|\\)/i.test(key)) problems.push(`${where}: key is missing or names a hive`);
    const parents = nodes(policy.parentCategory);
    if (parents.length !== 1 || !resolvable(attr(parents[0], 'ref'), categories)) problems.push(`${where}: unknown category ${attr(parents[0], 'ref')}`);
    if (!resolvable(attr(child(policy, 'supportedOn'), 'ref'), supported)) problems.push(`${where}: unknown supportedOn`);
    const elements = child(policy, 'elements');
    const ids: string[] = [];
    for (const kind of ['decimal', 'text', 'enum', 'list', 'boolean']) {
      for (const element of nodes(elements?.[kind])) {
        const id = attr(element, 'id') ?? '';
        ids.push(id);
        if (!ADMX_ID.test(id)) problems.push(`${where}: element id "${id}" is not a valid id`);
        if (kind === 'list' ? attr(element, 'key') === undefined : attr(element, 'valueName') === undefined) problems.push(`${where}: ${kind} ${id} has no ${kind === 'list' ? 'key' : 'valueName'}`);
        if (kind === 'decimal') {
          const min = Number(attr(element, 'minValue') ?? 0);
          const max = Number(attr(element, 'maxValue') ?? 9999);
          if (!(min <= max && max <= MAX_DWORD)) problems.push(`${where}: decimal range ${min}..${max} is empty or above a DWORD`);
        }
        if (kind === 'enum') {
          const items = nodes(element.item);
          const values = items.map((item) => JSON.stringify(child(item, 'value')));
          const labels = items.map((item) => attr(item, 'displayName'));
          if (items.length === 0 || new Set(values).size !== items.length || new Set(labels).size !== items.length) problems.push(`${where}: enum items are missing or not unique`);
        }
      }
    }
    if (elements === undefined && attr(policy, 'valueName') === undefined) problems.push(`${where}: neither a valueName nor elements`);
    if (new Set(ids).size !== ids.length) problems.push(`${where}: element ids are not unique`);
    const presentation = /^\$\(presentation\.(.*)\)$/.exec(attr(policy, 'presentation') ?? '')?.[1];
    if (ids.length > 0) {
      const shown = presentation === undefined ? undefined : presentations.get(presentation);
      const refIds = Object.values(shown ?? {}).flatMap((v) => nodes(v)).map((n) => attr(n, 'refId')).filter((id) => id !== undefined);
      if (shown === undefined || [...refIds].sort().join() !== [...ids].sort().join()) problems.push(`${where}: its presentation does not show exactly its elements`);
    }
  }
  policyChildOrder(admxText).forEach((order, i) => {
    const positions = order.map((name) => SCHEMA_ORDER.indexOf(name));
    if (positions.some((p, j) => p === -1 || (j > 0 && p <= (positions[j - 1] ?? -1)))) problems.push(`policy #${i + 1}: children out of schema order (${order.join(', ')})`);
  });
  return problems;
}

describe('Stratus.admx and en-US/Stratus.adml', () => {
  it('follow the ADMX schema rules the Group Policy editor enforces', () => {
    expect(admxProblems(admx, adml)).toEqual([]);
  });

  it('define one enforced policy per definition and a _Default twin for those that can be defaults', () => {
    const policies = nodes(child(child(parser.parse(admx) as Node, 'policyDefinitions'), 'policies')?.policy);
    const byName = new Map(policies.map((p) => [attr(p, 'name'), p]));
    expect(policies).toHaveLength(POLICIES.filter((p) => p.canBeEnforced).length + POLICIES.filter((p) => p.canBeDefault).length);
    for (const p of POLICIES) {
      for (const [id, key] of [[p.name, 'Software\\Policies\\Stratus'], [`${p.name}_Default`, 'Software\\Policies\\Stratus\\Defaults']] as const) {
        const policy = byName.get(id);
        const wanted = id === p.name ? p.canBeEnforced : p.canBeDefault;
        expect(policy !== undefined, `${id} present`).toBe(wanted);
        if (policy === undefined) continue;
        expect(attr(policy, 'class')).toBe('Both');
        expect(attr(policy, 'key')).toBe(key);
        const elements = child(policy, 'elements');
        switch (p.type) {
          case 'boolean':
            expect(attr(policy, 'valueName')).toBe(p.name);
            expect(attr(child(child(policy, 'enabledValue'), 'decimal'), 'value')).toBe('1');
            expect(attr(child(child(policy, 'disabledValue'), 'decimal'), 'value')).toBe('0');
            break;
          case 'integer': {
            const decimal = child(elements, 'decimal');
            expect([attr(decimal, 'valueName'), attr(decimal, 'minValue'), attr(decimal, 'maxValue')]).toEqual([p.name, String(p.min), String(p.max)]);
            break;
          }
          case 'string':
            expect(attr(child(elements, 'text'), 'valueName')).toBe(p.name);
            break;
          case 'enum':
            expect(attr(child(elements, 'enum'), 'valueName')).toBe(p.name);
            expect(nodes(child(elements, 'enum')?.item).map((item) => nodes(child(item, 'value')?.string)[0])).toEqual(p.values);
            break;
          case 'string-list':
            expect(attr(child(elements, 'list'), 'key')).toBe(`${key}\\${p.name}`);
            expect(attr(child(elements, 'list'), 'valuePrefix')).toBe('');
            break;
        }
      }
    }
  });

  it('the checks catch a dotted id, a dangling string, an unknown category, an empty range and a duplicate enum item', () => {
    const broken = admx
      .replace('<policy name="Bucket"', '<policy name="Stratus.Bucket"')
      .replace('displayName="$(string.S3Endpoint)"', 'displayName="$(string.S3Endpoint_Missing)"')
      .replace('<parentCategory ref="Category_Updates" />', '<parentCategory ref="Category_Nowhere" />')
      .replace('minValue="1024" maxValue="65535"', 'minValue="65535" maxValue="1024"')
      .replace('<value><string>beta</string></value>', '<value><string>latest</string></value>');
    const problems = admxProblems(broken, adml).join('\n');
    expect(problems).toMatch(/policy Stratus\.Bucket: name is not letters/);
    expect(problems).toMatch(/\$\(string\.S3Endpoint_Missing\) is not in the ADML/);
    expect(problems).toMatch(/unknown category Category_Nowhere/);
    expect(problems).toMatch(/decimal range 65535\.\.1024/);
    expect(problems).toMatch(/policy UpdateChannel: enum items are missing or not unique/);
    expect(admxProblems(admx.replace('</policies>', '</policie>'), adml)[0]).toMatch(/not well-formed/);
  });
});

// ---------------------------------------------------------------------------------------------

describe('Linux policy.schema.json', () => {
  const schema = JSON.parse(generated[POLICY_FILE_PATHS.schema] ?? '{}') as object;
  const validate = new Ajv2020({ strict: true, allErrors: true }).compile(schema);
  const example = JSON.parse(generated[POLICY_FILE_PATHS.example] ?? '{}') as Record<string, unknown>;

  it('accepts the example file', () => {
    expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
  });

  it('accepts every policy at its built-in default, enforced and as a default', () => {
    const withDefaults = POLICIES.filter((p) => p.default !== undefined);
    const file = {
      ...Object.fromEntries(withDefaults.filter((p) => p.canBeEnforced).map((p) => [p.name, p.default])),
      Defaults: Object.fromEntries(withDefaults.filter((p) => p.canBeDefault).map((p) => [p.name, p.default])),
    };
    expect(validate(file), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each([
    ['a wrong type', { LockBackend: 'yes' }],
    ['an unknown key', { Buckett: 'example' }],
    ['an unknown key in Defaults', { Defaults: { Nope: 1 } }],
    ['an enforced-only policy as a default', { Defaults: { LockBackend: true } }],
    ['an integer out of range', { CognitoRedirectPort: 80 }],
    ['a value outside an enum', { UpdateChannel: 'nightly' }],
    ['a string list holding a number', { AdminIgnorePatterns: ['*.tmp', 3] }],
    ['a policy name in the wrong case', { bucket: 'example' }],
  ])('rejects %s', (_name, file) => {
    expect(validate(file)).toBe(false);
  });
});

describe('macOS example profile', () => {
  const profile = parse(generated[POLICY_FILE_PATHS.mobileconfig] ?? '') as Record<string, unknown>;
  const payloads = profile.PayloadContent as Record<string, unknown>[];
  const uuid = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;
  const appId = /^appId:\s*(\S+)\s*$/m.exec(readFileSync(resolve(repo, 'electron-builder.yml'), 'utf8'))?.[1];

  it('has the keys an MDM needs, on the profile and on its payload', () => {
    for (const payload of [profile, ...payloads]) {
      expect(payload.PayloadType).toEqual(expect.any(String));
      expect(payload.PayloadIdentifier).toEqual(expect.any(String));
      expect(payload.PayloadDisplayName).toEqual(expect.any(String));
      expect(payload.PayloadVersion).toBe(1);
      expect(payload.PayloadUUID).toMatch(uuid);
    }
    expect(profile.PayloadType).toBe('Configuration');
    expect(payloads).toHaveLength(1);
    expect(new Set([profile, ...payloads].map((p) => p.PayloadUUID)).size).toBe(2);
    expect(new Set([profile, ...payloads].map((p) => p.PayloadIdentifier)).size).toBe(2);
  });

  it('manages the preference domain named after the app id in electron-builder.yml', () => {
    expect(appId).toBeDefined();
    expect(payloads[0]?.PayloadType).toBe(appId);
    expect(POLICY_FILE_PATHS.mobileconfig).toBe(`build/policies/macos/${appId}.mobileconfig`);
  });

  it('holds enforced policies at the root and defaults in Defaults, each valid, as in the Linux example', () => {
    const { Defaults: defaults, ...rest } = payloads[0] ?? {};
    const enforced = Object.fromEntries(Object.entries(rest).filter(([key]) => !key.startsWith('Payload')));
    for (const [name, value] of Object.entries(enforced)) expect(policyValueProblem(name, value as PolicyValue, false)).toBeUndefined();
    for (const [name, value] of Object.entries(defaults as Record<string, PolicyValue>)) expect(policyValueProblem(name, value, true)).toBeUndefined();
    expect({ enforced, defaults }).toEqual(POLICY_EXAMPLE);
    const linux = JSON.parse(generated[POLICY_FILE_PATHS.example] ?? '{}') as Record<string, unknown>;
    expect(linux).toEqual({ $schema: './policy.schema.json', ...POLICY_EXAMPLE.enforced, Defaults: POLICY_EXAMPLE.defaults });
  });

  it('no policy name collides with a profile key or the Defaults dictionary', () => {
    for (const p of POLICIES) expect(p.name).not.toMatch(/^(Payload|Defaults$)/);
    expect(policyNamed('Defaults')).toBeUndefined();
  });
});
