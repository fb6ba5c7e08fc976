/**
 * LocalWatcher: chokidar on the sync folder. Events only say "something
 * changed" (`onChange`, with the root-relative path for logs); the scheduler
 * debounces them into one run, and the run's full scan decides what really
 * changed — so an editor's temp-file-and-rename save, or a delete and
 * re-create, is one change (SCENARIOS 35), and no event is trusted for
 * content.
 *
 * The engine's own files (`.stratus/`, `.stratus-tmp-*` downloads in
 * progress) are not watched; paths the user's ignore rules exclude are not
 * descended into. `awaitWriteFinish` is off: the debounce covers a file still
 * being written, and the scanner notices a file that changes while read.
 * When the watcher fails it is logged and restarted, and a run is asked for,
 * since events may have been missed meanwhile.
 *
 * Memory: chokidar holds one entry per watched path (TOOLCHAIN-NOTES: 10k
 * files ≈ +70 MiB RSS), which is why ignored folders are pruned here.
 */
import { relative, sep } from 'node:path';
import type { Stats } from 'node:fs';
import { watch, type FSWatcher } from 'chokidar';
import { IGNORE_FILE_NAME, IgnoreRules } from '../local/IgnoreRules.js';
import type { Logger } from '../logger.js';

export interface LocalWatcherOptions {
  readonly root: string;
  /** Called for every relevant event; must be cheap (it only marks the folder dirty). */
  readonly onChange: (path: string) => void;
  /** Fold case when matching ignore rules. @default false */
  readonly caseInsensitive?: boolean;
  /** Wait before restarting a failed watcher. @default 1000 */
  readonly restartDelayMs?: number;
  readonly log?: Logger;
}

export class LocalWatcher {
  private watcher: FSWatcher | undefined;
  private rules: IgnoreRules | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  /** Restarts after failures (diagnostics). */
  restarts = 0;

  private constructor(private readonly o: LocalWatcherOptions) {}

  /** Starts watching; resolves once the initial tree is known (events after that are real changes). */
  static async start(options: LocalWatcherOptions): Promise<LocalWatcher> {
    const w = new LocalWatcher(options);
    await w.open();
    return w;
  }

  private async open(): Promise<void> {
    this.rules = await IgnoreRules.load(this.o.root, this.o.caseInsensitive === undefined ? {} : { caseInsensitive: this.o.caseInsensitive });
    const watcher = watch(this.o.root, {
      ignoreInitial: true,
      ignored: (path: string, stats?: Stats) => this.ignored(path, stats),
      awaitWriteFinish: false,
      followSymlinks: false,
    });
    this.watcher = watcher;
    watcher.on('all', (event, path) => {
      const rel = this.rel(path);
      if (rel === '') return;
      // A changed rules file changes what is watched; the run reloads the rules itself.
      if (rel === IGNORE_FILE_NAME) void this.reloadRules();
      this.o.onChange(rel);
    });
    watcher.on('error', (err) => this.failed(err));
    await new Promise<void>((resolve) => watcher.once('ready', resolve));
  }

  private rel(path: string): string {
    return relative(this.o.root, path).split(sep).join('/');
  }

  private ignored(path: string, stats?: Stats): boolean {
    const rel = this.rel(path);
    if (rel === '' || rel.startsWith('..')) return false;
    const rules = this.rules;
    if (rules === undefined) return false;
    if (rules.isEngineFile(rel)) return true;
    // Without stats chokidar asks before it knows the kind; it asks again with stats, and we answer then.
    return stats !== undefined && rules.isIgnored(rel, stats.isDirectory() ? 'folder' : 'file');
  }

  private async reloadRules(): Promise<void> {
    try {
      this.rules = await IgnoreRules.load(this.o.root, this.o.caseInsensitive === undefined ? {} : { caseInsensitive: this.o.caseInsensitive });
    } catch (err) {
      this.o.log?.warn('could not reload the ignore rules for the watcher', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  private failed(err: unknown): void {
    if (this.disposed) return;
    this.o.log?.warn('the folder watcher failed; restarting it', { error: err instanceof Error ? err.message : String(err) });
    const old = this.watcher;
    this.watcher = undefined;
    void old?.close().catch(() => undefined);
    if (this.restartTimer !== undefined) return;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.disposed) return;
      this.restarts++;
      this.open().then(
        // Changes made while nobody watched are found by the run this asks for.
        () => this.o.onChange(''),
        (e: unknown) => this.failed(e),
      );
    }, this.o.restartDelayMs ?? 1000);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    await this.watcher?.close();
    this.watcher = undefined;
  }
}
