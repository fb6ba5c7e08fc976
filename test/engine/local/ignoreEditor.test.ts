/**
 * The .stratusignore editor's engine side on real files: the preview counts
 * what the text hides beyond the built-in defaults (a hidden folder once, not
 * its contents), lists a sorted sample, reports rules that cannot be read,
 * and saving replaces the file whole (an empty text removes it).
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { previewIgnoreRules, saveIgnoreRules } from '../../../src/engine/local/ignoreEditor.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'stratus-ignore-editor-'));
  await mkdir(join(root, 'build/out'), { recursive: true });
  await mkdir(join(root, 'docs'));
  await mkdir(join(root, '.stratus'));
  for (const f of ['build/out/a.o', 'build/b.o', 'docs/readme.md', 'docs/draft.tmp', 'notes.tmp', 'keep.txt', '.DS_Store', '.stratus/journal.db']) {
    await writeFile(join(root, f), 'x');
  }
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('ignore editor', () => {
  it('previews what the rules hide beyond the defaults, a hidden folder once', async () => {
    const preview = await previewIgnoreRules(root, '# build output\nbuild/\n*.tmp\n');
    expect(preview).toEqual({ hidden: 3, sample: ['build/', 'docs/draft.tmp', 'notes.tmp'], problems: [], hiddenByOrganization: 0 });
    expect(await previewIgnoreRules(root, '')).toEqual({ hidden: 0, sample: [], problems: [], hiddenByOrganization: 0 });
    // A negation brings a file back: nothing hidden by it.
    expect((await previewIgnoreRules(root, '*.tmp\n!notes.tmp\n')).sample).toEqual(['docs/draft.tmp']);
  });

  it('counts what the organization hides apart, never as hidden by the text', async () => {
    const preview = await previewIgnoreRules(root, '*.tmp\n!notes.tmp\n', { adminPatterns: ['build/', 'notes.tmp'] });
    // build/ and notes.tmp are the organization's (the negation cannot bring notes.tmp back); the text hides docs/draft.tmp.
    expect(preview).toEqual({ hidden: 1, sample: ['docs/draft.tmp'], problems: [], hiddenByOrganization: 2 });
  });

  it('stops walking at the limit', async () => {
    const preview = await previewIgnoreRules(root, '*\n', { limit: 2 });
    expect(preview.hidden).toBeLessThanOrEqual(2);
  });

  it('saves the rules whole, leaves no temp file, and removes the file for an empty text', async () => {
    await saveIgnoreRules(root, '*.tmp');
    expect(await readFile(join(root, '.stratusignore'), 'utf8')).toBe('*.tmp\n');
    expect((await readdir(root)).filter((n) => n.startsWith('.stratus-tmp-'))).toEqual([]);
    await saveIgnoreRules(root, 'build/\n');
    expect(await readFile(join(root, '.stratusignore'), 'utf8')).toBe('build/\n');
    await saveIgnoreRules(root, '  \n');
    expect((await readdir(root)).includes('.stratusignore')).toBe(false);
  });
});
