/**
 * The `.stratusignore` editor's engine side (issue 8, Settings): what a text
 * of rules would hide in the sync folder before it is saved, and saving it.
 *
 * The preview counts what the text hides beyond the built-in defaults (OS
 * junk is hidden anyway, and listing it would bury what the user's own rules
 * do); a hidden folder counts once and is not walked. The walk stops after
 * `limit` entries, so a huge folder cannot stall the window. What the
 * organization's patterns hide (policy AdminIgnorePatterns) is hidden whatever
 * the text says: it is counted apart, never as hidden by the user's text.
 *
 * Saving writes a temporary file with the engine's temp prefix (never
 * synced) and renames it over the old one, so a crash leaves either the old
 * rules or the new ones, never half a file. Nothing is deleted anywhere:
 * newly ignored paths just stop syncing.
 */
import { readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isStratusError } from '../../core/StratusError.js';
import type { IgnorePreview } from '../../shared/StratusApi.js';
import { ENGINE_TEMP_PREFIX, IGNORE_FILE_NAME, IgnoreRules } from './IgnoreRules.js';

export interface IgnorePreviewOptions {
  readonly caseInsensitive?: boolean;
  /** Entries looked at, at most. @default 200000 */
  readonly limit?: number;
  /** The organization's ignore patterns (policy AdminIgnorePatterns). @default [] */
  readonly adminPatterns?: readonly string[];
}

export interface IgnoreRulesPreview extends IgnorePreview {
  /** Entries hidden by the organization's patterns (a hidden folder counts once), not by the text. */
  readonly hiddenByOrganization: number;
}

const SAMPLE = 20;

export async function previewIgnoreRules(root: string, text: string, options: IgnorePreviewOptions = {}): Promise<IgnoreRulesPreview> {
  const ruleOptions = { caseInsensitive: options.caseInsensitive ?? false, adminPatterns: options.adminPatterns ?? [] };
  let rules: IgnoreRules;
  try {
    rules = new IgnoreRules(text, ruleOptions);
  } catch (err) {
    return { hidden: 0, sample: [], problems: [isStratusError(err) || err instanceof Error ? err.message : String(err)], hiddenByOrganization: 0 };
  }
  const defaults = new IgnoreRules('', { caseInsensitive: ruleOptions.caseInsensitive });
  const limit = options.limit ?? 200_000;
  const hidden: string[] = [];
  let hiddenByOrganization = 0;
  let seen = 0;
  const folders = [''];
  while (folders.length > 0 && seen < limit) {
    const folder = folders.pop() ?? '';
    const entries = await readdir(join(root, folder), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (++seen > limit) break;
      const path = folder === '' ? entry.name : `${folder}/${entry.name}`;
      const kind = entry.isDirectory() ? 'folder' : 'file';
      // The defaults hide it anyway (or it is the engine's own): not what these rules change.
      if (defaults.isIgnored(path, kind)) continue;
      // The organization hides it whatever the text says.
      if (rules.isIgnoredByAdmin(path, kind)) {
        hiddenByOrganization += 1;
        continue;
      }
      if (rules.isIgnored(path, kind)) hidden.push(kind === 'folder' ? `${path}/` : path);
      else if (kind === 'folder') folders.push(path);
    }
  }
  hidden.sort();
  return { hidden: hidden.length, sample: hidden.slice(0, SAMPLE), problems: [], hiddenByOrganization };
}

/** The preview as the faces show it (IgnorePreview has no field for the organization's count yet). */
export function facePreview(preview: IgnoreRulesPreview): IgnorePreview {
  const { hiddenByOrganization: _organization, ...face } = preview;
  return face;
}

/** Replaces `<root>/.stratusignore` with `text` (an empty text removes the file). */
export async function saveIgnoreRules(root: string, text: string): Promise<void> {
  const file = join(root, IGNORE_FILE_NAME);
  if (text.trim() === '') {
    await rm(file, { force: true });
    return;
  }
  const temp = join(root, `${ENGINE_TEMP_PREFIX}${IGNORE_FILE_NAME}-${process.pid}`);
  await writeFile(temp, text.endsWith('\n') ? text : `${text}\n`);
  await rename(temp, file);
}
