/**
 * "Ignore this file" writes one .stratusignore line that the engine's own
 * IgnoreRules read as exactly that path: not a sibling with a similar name,
 * not the same name in another folder, whatever gitignore characters it has.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendIgnoreRule, ignoreRuleFor, refuseIgnorePath } from '../../../src/engine/attention/ignoreRule.js';
import { IgnoreRules } from '../../../src/engine/local/IgnoreRules.js';

/** Each path with siblings a careless rule would also match. */
const CASES: readonly (readonly [string, readonly string[]])[] = [
  ['a*b.txt', ['axb.txt', 'ab.txt', 'a**b.txt']],
  ['*', ['x', 'a*']],
  ['**', ['x', 'a/b']],
  ['q?.txt', ['qa.txt', 'q.txt']],
  ['[ab].txt', ['a.txt', 'b.txt', 'ab.txt']],
  ['a]b', ['ab', 'a\\]b']],
  ['#notes', ['notes', '\\#notes']],
  ['!draft', ['draft', '\\!draft']],
  ['docs/#x', ['docs/x']],
  ['docs/!x', ['docs/x']],
  ['trailing ', ['trailing', 'trailing  ']],
  ['two  ', ['two', 'two ']],
  [' lead', ['lead']],
  ['sp ace.txt', ['sp', 'space.txt', 'sp  ace.txt']],
  ['back\\slash', ['backslash', 'back/slash']],
  ['x\\*y', ['x\\zy', 'x*y']],
  ['photos/2026/cat [1].jpg', ['photos/2026/cat 1.jpg', 'photos/2026/cat [2].jpg', 'photos/2026/cat [1].jpg.bak']],
  ['report.pdf', ['report.pdfx', 'areport.pdf', 'report_pdf']],
];

describe('ignore rule for one path', () => {
  for (const [path, siblings] of CASES) {
    it(`matches exactly ${JSON.stringify(path)}`, () => {
      const rules = new IgnoreRules(`${ignoreRuleFor(path)}\n`);
      expect(rules.isIgnored(path, 'file')).toBe(true);
      expect(rules.isIgnored(path, 'folder')).toBe(true);
      for (const sibling of siblings) expect(rules.isIgnored(sibling, 'file'), `${JSON.stringify(sibling)} must stay synced`).toBe(false);
      // Anchored at the root: the same name in another folder still syncs.
      expect(rules.isIgnored(`other/${path}`, 'file')).toBe(false);
    });
  }

  it('also covers what is inside an ignored folder, and nothing next to it', () => {
    const rules = new IgnoreRules(`${ignoreRuleFor('build [old]')}\n`);
    expect(rules.isIgnored('build [old]/out.bin', 'file')).toBe(true);
    expect(rules.isIgnored('build o/out.bin', 'file')).toBe(false);
  });

  it('refuses paths outside the folder, the engine folder, the rules file and line breaks', () => {
    for (const bad of ['', '/abs', 'a/', '../up', 'a/../b', 'a//b', '.stratus', '.stratus/journal.db', '.stratusignore', 'two\nlines']) {
      expect(refuseIgnorePath(bad), JSON.stringify(bad)).toEqual(expect.any(String));
    }
    expect(refuseIgnorePath('docs/#x')).toBeUndefined();
  });
});

describe('appending to .stratusignore', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'stratus-ignore-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('creates the file when missing, and adds a line only once', async () => {
    expect(await appendIgnoreRule(root, 'a*b.txt')).toBe(true);
    expect(await appendIgnoreRule(root, 'a*b.txt')).toBe(false);
    expect(await readFile(join(root, '.stratusignore'), 'utf8')).toBe('/a\\*b.txt\n');
  });

  it('keeps the user\'s rules and starts a new line after a last line without one', async () => {
    await writeFile(join(root, '.stratusignore'), '# mine\n*.log');
    await appendIgnoreRule(root, '!draft');
    const text = await readFile(join(root, '.stratusignore'), 'utf8');
    expect(text).toBe('# mine\n*.log\n/\\!draft\n');
    const rules = await IgnoreRules.load(root);
    expect(rules.isIgnored('!draft', 'file')).toBe(true);
    expect(rules.isIgnored('x.log', 'file')).toBe(true);
    expect(rules.isIgnored('draft', 'file')).toBe(false);
  });
});
