/**
 * The ignore rules every Stratus folder has before the user writes any:
 * operating-system junk, the half-written files of editors and downloaders,
 * and the engine's own bookkeeping. Patterns use gitignore syntax and are
 * applied before the user's `.stratusignore`, so a user rule such as
 * `!*.part` can bring one of the junk/temp patterns back. The engine's own
 * files are different: they are checked in code (see IgnoreRules), so no user
 * rule can make Stratus sync its journal or temp downloads (SCENARIOS 23).
 *
 * Chosen conservatively: a pattern is here only if a file matching it is
 * never the only copy of something a person made. Deliberately NOT included:
 *   - `*~` (Emacs/gedit backups): often the only copy of the previous version,
 *     and plain names like `notes~` are sometimes real documents;
 *   - `*.tmp`: many programs (and people) keep real data in `.tmp` files;
 *   - `*.bak`, `*.orig`: deliberate backups.
 * Syncing one of these costs some bytes; wrongly ignoring one means another
 * machine silently lacks a file. Users who want them hidden add them to
 * `.stratusignore`.
 */

/** The folder at the sync root that holds the journal, temp downloads and markers. */
export const ENGINE_FOLDER = '.stratus';
/** Prefix of the temp file a download is written to before its atomic rename, in the target's folder. */
export const ENGINE_TEMP_PREFIX = '.stratus-tmp-';
/** The user's rules, at the sync root; the file itself is synced so the rules travel between machines. */
export const IGNORE_FILE_NAME = '.stratusignore';

/** Operating-system metadata that is per-machine and meaningless elsewhere. */
const OS_JUNK: readonly string[] = [
  // macOS Finder view settings, one per folder.
  '.DS_Store',
  // AppleDouble resource forks macOS writes on non-Apple file systems (`._report.pdf`).
  '._*',
  // macOS per-volume indexes, trash, and event logs (only meaningful on their own disk).
  '.Spotlight-V100/',
  '.Trashes/',
  '.fseventsd/',
  '.TemporaryItems/',
  '.DocumentRevisions-V100/',
  // Windows Explorer thumbnail caches and folder view settings.
  'Thumbs.db',
  'ehthumbs.db',
  'desktop.ini',
  // Windows recycle bin and restore-point folders at a drive's root.
  '$RECYCLE.BIN/',
  'System Volume Information/',
  // Linux desktop trash on removable drives (`.Trash-1000/`).
  '.Trash-*/',
];

/** Files that exist only while a program is writing something else; syncing them uploads garbage and churns. */
const TRANSIENT: readonly string[] = [
  // Microsoft Office owner/lock files (`~$Report.docx`), deleted when the document closes.
  '~$*',
  // LibreOffice lock files (`.~lock.Report.odt#`).
  '.~lock.*#',
  // Vim swap files (`.notes.txt.swp`, and `.swx` while the `.swp` name is taken).
  '*.swp',
  '*.swx',
  // Partial downloads: Chrome/Edge, Firefox, and legacy IE/others; renamed once complete.
  '*.crdownload',
  '*.part',
  '*.partial',
];

/**
 * Every built-in pattern, in the order they are applied (gitignore syntax).
 * The engine's own `/.stratus` folder and `.stratus-tmp-*` files are included
 * for display, but are enforced in code so user rules cannot re-include them.
 */
export const BUILT_IN_IGNORE_PATTERNS: readonly string[] = [
  ...OS_JUNK,
  ...TRANSIENT,
  `/${ENGINE_FOLDER}`,
  `${ENGINE_TEMP_PREFIX}*`,
];
