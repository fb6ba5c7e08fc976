import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BUILT_IN_IGNORE_PATTERNS, IgnoreRules } from '../../../src/engine/local/IgnoreRules.js';
import { tempRoots } from './localFixtures.js';

const roots = tempRoots();
afterEach(roots.cleanup);

describe('IgnoreRules defaults', () => {
  const rules = new IgnoreRules();

  it.each([
    '.DS_Store',
    'photos/.DS_Store',
    'Thumbs.db',
    'docs/desktop.ini',
    'docs/._report.pdf',
    'docs/~$Report.docx',
    'docs/.~lock.Report.odt#',
    'src/.main.c.swp',
    'src/.main.c.swx',
    'downloads/movie.mkv.crdownload',
    'downloads/movie.mkv.part',
    'downloads/movie.mkv.partial',
    '.stratus-tmp-4f2a',
    'deep/folder/.stratus-tmp-report.pdf',
  ])('never syncs the file %s', (path) => {
    expect(rules.isIgnored(path, 'file')).toBe(true);
  });

  it.each(['.Spotlight-V100', '.Trashes', '$RECYCLE.BIN', 'System Volume Information', '.Trash-1000', '.stratus'])(
    'never syncs the folder %s',
    (path) => {
      expect(rules.isIgnored(path, 'folder')).toBe(true);
    },
  );

  it('ignores everything inside the engine folder at the root', () => {
    expect(rules.isIgnored('.stratus/journal.db', 'file')).toBe(true);
    expect(rules.isIgnored('.stratus/tmp', 'folder')).toBe(true);
    // A file named .stratus at the root would block the engine folder, so it is not synced either.
    expect(rules.isIgnored('.stratus', 'file')).toBe(true);
  });

  it.each([
    ['report.docx', 'file'],
    ['notes~', 'file'],
    ['data.tmp', 'file'],
    ['backup.bak', 'file'],
    ['party/invite.txt', 'file'],
    ['.stratusfoo', 'file'],
    ['.gitignore', 'file'],
    ['.stratusignore', 'file'],
    ['Thumbs.db.d', 'folder'],
  ] as const)('syncs ordinary names such as %s', (path, kind) => {
    expect(rules.isIgnored(path, kind)).toBe(false);
  });

  it('applies folder-only defaults to folders only, as gitignore does', () => {
    expect(rules.isIgnored('.Trashes', 'file')).toBe(false);
    expect(rules.isIgnored('.Trashes', 'folder')).toBe(true);
  });

  it('exports the built-in patterns, engine files included', () => {
    expect(BUILT_IN_IGNORE_PATTERNS).toEqual(expect.arrayContaining(['.DS_Store', '~$*', '*.part', '/.stratus', '.stratus-tmp-*']));
  });
});

describe('IgnoreRules user rules', () => {
  it('applies .stratusignore patterns with gitignore semantics', () => {
    const rules = new IgnoreRules('# logs\n*.log\n!keep.log\nbuild/\n/top-only.txt\n');
    expect(rules.userPatterns).toEqual(['*.log', '!keep.log', 'build/', '/top-only.txt']);
    expect(rules.isIgnored('a/b/debug.log', 'file')).toBe(true);
    expect(rules.isIgnored('a/keep.log', 'file')).toBe(false);
    expect(rules.isIgnored('build', 'folder')).toBe(true);
    expect(rules.isIgnored('src/build', 'folder')).toBe(true);
    expect(rules.isIgnored('build', 'file')).toBe(false);
    expect(rules.isIgnored('top-only.txt', 'file')).toBe(true);
    expect(rules.isIgnored('sub/top-only.txt', 'file')).toBe(false);
  });

  it('lets a user rule bring back a default junk pattern', () => {
    const rules = new IgnoreRules('!*.part\n');
    expect(rules.isIgnored('music/track.part', 'file')).toBe(false);
    expect(rules.isIgnored('.DS_Store', 'file')).toBe(true);
  });

  it('never lets a user rule bring back the engine files', () => {
    const rules = new IgnoreRules('!/.stratus\n!/.stratus/\n!.stratus/**\n!.stratus-tmp-*\n');
    expect(rules.isIgnored('.stratus', 'folder')).toBe(true);
    expect(rules.isIgnored('.stratus/journal.db', 'file')).toBe(true);
    expect(rules.isIgnored('a/.stratus-tmp-1', 'file')).toBe(true);
  });

  it('keeps syncing .stratusignore itself so the rules travel, even under a catch-all rule', () => {
    const rules = new IgnoreRules('*\n');
    expect(rules.isIgnored('.stratusignore', 'file')).toBe(false);
    expect(rules.isIgnored('anything.txt', 'file')).toBe(true);
  });

  it('handles Windows line endings and a byte-order mark', () => {
    const rules = new IgnoreRules('\uFEFF*.log\r\nsecret/\r\n');
    expect(rules.isIgnored('x.log', 'file')).toBe(true);
    expect(rules.isIgnored('secret', 'folder')).toBe(true);
  });

  it('matches case-sensitively on Linux and case-insensitively when told the disk is', () => {
    expect(new IgnoreRules('*.LOG\n').isIgnored('x.log', 'file')).toBe(false);
    const folded = new IgnoreRules('*.LOG\n', { caseInsensitive: true });
    expect(folded.isIgnored('x.log', 'file')).toBe(true);
    expect(folded.isIgnored('.STRATUS/journal.db', 'file')).toBe(true);
    expect(folded.isIgnored('.STRATUSIGNORE', 'file')).toBe(false);
  });
});

describe('IgnoreRules.load', () => {
  it('reads <root>/.stratusignore', async () => {
    const root = await roots.make();
    await writeFile(join(root, '.stratusignore'), 'private/\n');
    const rules = await IgnoreRules.load(root);
    expect(rules.isIgnored('private', 'folder')).toBe(true);
    expect(rules.userPatterns).toEqual(['private/']);
  });

  it('treats a missing .stratusignore as no user rules', async () => {
    const root = await roots.make();
    const rules = await IgnoreRules.load(root);
    expect(rules.userPatterns).toEqual([]);
    expect(rules.isIgnored('private', 'folder')).toBe(false);
  });

  it('refuses to go on when .stratusignore exists but cannot be read', async () => {
    const root = await roots.make();
    // A folder where the file should be gives EISDIR for everyone, root included.
    await mkdir(join(root, '.stratusignore'));
    await expect(IgnoreRules.load(root)).rejects.toMatchObject({ code: 'ignore-file-unreadable', severity: 'fatal' });
  });
});

describe('IgnoreRules without user rules (built-in rules matched one name at a time)', () => {
  const paths = [
    'a.txt', 'docs/a.txt', '.DS_Store', 'x/.DS_Store', 'x/.DS_Store/y.txt', '._x', 'deep/._x/y', '.Trashes', 'x/.Trashes',
    'x/.Trashes/y.txt', '.Spotlight-V100/store.db', 'a.part', 'movies/a.part/inside.txt', 'x/~$doc.docx', '.~lock.a.odt#',
    'src/.m.c.swp', 'Thumbs.db', 'thumbs.db', 'THUMBS.DB', 'x/Desktop.ini', '.Trash-1000/files/a', 'x/.Trash-1000',
    '$RECYCLE.BIN/S-1-5/x', 'System Volume Information/x', '.stratus', '.stratus/journal.db', 'x/.stratus', 'x/.stratus/y',
    '.stratus-tmp-1', 'x/.stratus-tmp-2', '.stratusignore', 'x/.stratusignore', 'ünïcödé/naïve.txt', 'a b/c d.txt',
  ];
  for (const caseInsensitive of [false, true]) {
    it(`answers as the whole-path matcher does (${caseInsensitive ? 'case-insensitive' : 'case-sensitive'} disk)`, () => {
      const byName = new IgnoreRules('', { caseInsensitive });
      // One user rule that matches nothing makes the rules take the whole-path matcher.
      const byPath = new IgnoreRules('no-such-name-anywhere\n', { caseInsensitive });
      for (const path of paths) {
        for (const kind of ['file', 'folder'] as const) {
          expect({ path, kind, ignored: byName.isIgnored(path, kind) }).toEqual({ path, kind, ignored: byPath.isIgnored(path, kind) });
        }
      }
    });
  }
});

describe('IgnoreRules admin patterns (policy AdminIgnorePatterns)', () => {
  it('hides what the organization ignores even when the user negates it', () => {
    const rules = new IgnoreRules('!*.pst\n!secret/\n', { adminPatterns: ['*.pst', 'secret/'] });
    expect(rules.isIgnored('mail/archive.pst', 'file')).toBe(true);
    expect(rules.isIgnored('secret', 'folder')).toBe(true);
    expect(rules.isIgnored('secret/plan.txt', 'file')).toBe(true);
    expect(rules.isIgnoredByAdmin('mail/archive.pst', 'file')).toBe(true);
  });

  it('lets a user negation undo a built-in default but not an admin pattern', () => {
    const rules = new IgnoreRules('!*.part\n', { adminPatterns: ['*.iso'] });
    expect(rules.isIgnored('downloads/movie.part', 'file')).toBe(false);
    expect(rules.isIgnored('downloads/disk.iso', 'file')).toBe(true);
  });

  it('still applies the user rules beside the admin ones', () => {
    const rules = new IgnoreRules('*.log\n', { adminPatterns: ['*.pst'] });
    expect(rules.isIgnored('build.log', 'file')).toBe(true);
    expect(rules.isIgnored('notes.txt', 'file')).toBe(false);
    expect(rules.isIgnoredByAdmin('build.log', 'file')).toBe(false);
  });

  it('never hides .stratusignore itself, so every machine gets the same user rules', () => {
    const rules = new IgnoreRules('', { adminPatterns: ['.*'] });
    expect(rules.isIgnored('.stratusignore', 'file')).toBe(false);
    expect(rules.isIgnored('.env', 'file')).toBe(true);
  });

  it('keeps the admin patterns apart from the user patterns, for display', () => {
    const rules = new IgnoreRules('*.log\n', { adminPatterns: ['*.pst', '', '# note'] });
    expect(rules.userPatterns).toEqual(['*.log']);
    expect(rules.adminPatterns).toEqual(['*.pst']);
  });

  it('matches admin patterns case-insensitively on a case-insensitive disk', () => {
    const rules = new IgnoreRules('!*.PST\n', { adminPatterns: ['*.pst'], caseInsensitive: true });
    expect(rules.isIgnored('Mail/Archive.PST', 'file')).toBe(true);
  });

  it('applies admin patterns when loaded from a folder with a .stratusignore', async () => {
    const root = await roots.make();
    await writeFile(join(root, '.stratusignore'), '!*.pst\n');
    const rules = await IgnoreRules.load(root, { adminPatterns: ['*.pst'] });
    expect(rules.isIgnored('a.pst', 'file')).toBe(true);
  });
});
