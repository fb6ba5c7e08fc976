/**
 * "Ignore this file" (issue 8): one `.stratusignore` line that matches exactly
 * one path, anchored at the sync root, with every gitignore special character
 * escaped so a name like `#notes`, `!draft`, `a*b` or `[1].txt` means itself
 * and no sibling. The path stops syncing; nothing is deleted on either side.
 */
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IGNORE_FILE_NAME, ENGINE_FOLDER } from '../local/IgnoreRules.js';

/**
 * Why `path` cannot be ignored, in plain words, or undefined when it can:
 * it must be a path inside the sync folder (no `..`), not the engine's own
 * folder nor the rules file itself, and fit on one line.
 */
export function refuseIgnorePath(path: string): string | undefined {
  const segments = path.split('/');
  if (path === '' || segments.some((s) => s === '' || s === '.' || s === '..')) return `"${path}" is not a path inside the sync folder.`;
  if (/[\r\n]/.test(path)) return `"${path}" has a line break in its name, which ${IGNORE_FILE_NAME} cannot express; rename it to ignore it.`;
  if (segments[0] === ENGINE_FOLDER) return `"${path}" is Stratus' own folder; it is never synced.`;
  if (path === IGNORE_FILE_NAME) return `${IGNORE_FILE_NAME} holds the ignore rules and is always synced.`;
  return undefined;
}

/** The gitignore line matching exactly `path` (a valid core path, see refuseIgnorePath). */
export function ignoreRuleFor(path: string): string {
  // `\`, `*`, `?`, `[` and `]` are glob syntax anywhere; a backslash makes each literal.
  let rule = path.replace(/[\\*?[\]]/g, (c) => `\\${c}`);
  // `#` and `!` are special only at the start of a line; the anchor below comes first anyway.
  if (rule.startsWith('#') || rule.startsWith('!')) rule = `\\${rule}`;
  // Trailing spaces are dropped by gitignore unless escaped.
  rule = rule.replace(/ +$/, (spaces) => '\\ '.repeat(spaces.length));
  // A leading `/` anchors the rule at the root: `a.txt` must not also match `docs/a.txt`.
  return `/${rule}`;
}

/**
 * Appends the rule for `path` to `<root>/.stratusignore` (created if missing).
 * Returns false when the file already has exactly that line.
 */
export async function appendIgnoreRule(root: string, path: string): Promise<boolean> {
  const file = join(root, IGNORE_FILE_NAME);
  const rule = ignoreRuleFor(path);
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text.split(/\r?\n/).includes(rule)) return false;
  const separator = text === '' || text.endsWith('\n') ? '' : '\n';
  await appendFile(file, `${separator}${rule}\n`, 'utf8');
  return true;
}
