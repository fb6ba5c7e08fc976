/**
 * SetupFlow: the first-run flow of a face that is not yet syncing (issue 8) —
 * Sign in → choose the folder → (then the engine starts: first sync → done).
 * A StatusSource and a command handler, so the status page (and the app)
 * show it with the same renderer and the same StratusCommands as the rest.
 *
 *   - `sign-in` starts the sign-in (the port opens the hosted UI's address:
 *     the CLI hands it to the page, which opens it) and answers with that
 *     address as soon as it is known; a second `sign-in` while one is under
 *     way answers with the same address. A failed or timed-out sign-in goes
 *     back to the Sign in step with the reason.
 *   - `choose-folder` takes an absolute path on the syncing computer: a
 *     missing folder is created (with its parents); a file there is refused;
 *     a folder that is not empty is refused with a `confirm` question — it
 *     will be merged with the cloud and nothing deleted — until the command
 *     comes again with `merge: true`. The chosen folder is remembered through
 *     the port (the CLI writes it into its config file).
 *   - Any other command is refused with a sentence: nothing syncs yet.
 *
 * `done` resolves with the folder and the account once both are known.
 */
import { Emitter, type Disposable, type Event } from '../../core/Emitter.js';
import type { CommandResult, SetupState, StatusSnapshot, StratusCommand } from '../../shared/StratusApi.js';

export interface FolderFacts {
  readonly exists: boolean;
  readonly isFolder: boolean;
  /** Entries in it (the engine's own `.stratus` folder not counted). */
  readonly entries: number;
}

export interface SetupPorts {
  /** Signs in; `openUrl` is called once with the hosted UI's address. Resolves with who signed in. */
  signIn(openUrl: (url: string) => void, signal: AbortSignal): Promise<{ readonly account: string }>;
  inspectFolder(path: string): Promise<FolderFacts>;
  createFolder(path: string): Promise<void>;
  /** Keeps the choice for the next start; returns a sentence saying where (or why not). */
  rememberFolder(path: string): Promise<string | undefined>;
}

export interface SetupFlowOptions {
  readonly ports: SetupPorts;
  /** Signed in already: the flow starts with Choose folder. */
  readonly signedIn: boolean;
  /** The signed-in account's name, when known. */
  readonly account?: string;
  /** The folder, when the settings name one. */
  readonly folder?: string;
  /** The default offered by Choose folder: a new empty folder under the home folder. */
  readonly suggestedFolder: string;
  /** The computer the folder is on (shown: the page may be viewed from elsewhere). */
  readonly machine: string;
}

export interface SetupResult {
  readonly folder: string;
  readonly account?: string;
  /** Where the folder choice was kept, to tell the user. */
  readonly remembered?: string;
}

function refused(message: string): CommandResult {
  return { ok: false, message };
}

export class SetupFlow implements Disposable {
  private readonly emitter = new Emitter<StatusSnapshot>();
  readonly onDidChangeStatus: Event<StatusSnapshot> = this.emitter.event;
  private snapshot: StatusSnapshot;
  private signedIn: boolean;
  private account: string | undefined;
  private signingIn: Promise<CommandResult> | undefined;
  private readonly abort = new AbortController();
  private resolveDone!: (result: SetupResult) => void;
  /** Resolves when the flow has a signed-in account and a folder. */
  readonly done: Promise<SetupResult>;

  constructor(private readonly o: SetupFlowOptions) {
    this.signedIn = o.signedIn;
    this.account = o.account;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.snapshot = this.build(o.signedIn ? 'choose-folder' : 'sign-in');
  }

  /** Whether there is anything to ask: false when signed in and a folder is set. */
  get needed(): boolean {
    return !this.o.signedIn || this.o.folder === undefined;
  }

  get current(): StatusSnapshot {
    return this.snapshot;
  }

  dispose(): void {
    this.abort.abort();
    this.emitter.dispose();
  }

  async run(command: StratusCommand): Promise<CommandResult> {
    switch (command.type) {
      case 'sign-in':
        return this.signIn();
      case 'choose-folder':
        if (!this.signedIn) return refused('Sign in first.');
        if (command.path === undefined) return refused(`Type the path of a folder on ${this.o.machine}.`);
        return this.chooseFolder(command.path, command.merge === true);
      default:
        return refused('Nothing syncs yet: finish setting up Stratus first.');
    }
  }

  private signIn(): Promise<CommandResult> {
    if (this.signedIn) return Promise.resolve(refused('You are signed in already.'));
    if (this.signingIn !== undefined) return this.signingIn;
    this.signingIn = new Promise<CommandResult>((answer) => {
      const finished = this.o.ports.signIn((url) => {
        this.update({ auth: 'signing-in' });
        answer({ ok: true, url });
      }, this.abort.signal);
      finished.then(
        ({ account }) => {
          this.signingIn = undefined;
          this.signedIn = true;
          this.account = account;
          if (this.o.folder !== undefined) {
            this.finish(this.o.folder, undefined);
            return;
          }
          this.snapshot = this.build('choose-folder');
          this.emitter.fire(this.snapshot);
        },
        (err: unknown) => {
          this.signingIn = undefined;
          const message = err instanceof Error ? err.message : String(err);
          this.snapshot = { ...this.build('sign-in'), message: `Sign-in did not finish: ${message}` };
          this.emitter.fire(this.snapshot);
          answer(refused(`Sign-in did not finish: ${message}`));
        },
      );
    });
    return this.signingIn;
  }

  private async chooseFolder(path: string, merge: boolean): Promise<CommandResult> {
    const facts = await this.o.ports.inspectFolder(path);
    if (facts.exists && !facts.isFolder) return refused(`${path} is a file, not a folder. Choose a folder.`);
    if (facts.exists && facts.entries > 0 && !merge) {
      const items = `${facts.entries} item${facts.entries === 1 ? '' : 's'}`;
      return {
        ok: false,
        confirm: `${path} already holds ${items}. They will be merged with what is in your cloud storage; nothing will be deleted, here or in the cloud.`,
      };
    }
    if (!facts.exists) {
      try {
        await this.o.ports.createFolder(path);
      } catch (err) {
        return refused(`Stratus could not create ${path}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const remembered = await this.o.ports.rememberFolder(path);
    this.finish(path, remembered);
    return { ok: true, ...(remembered === undefined ? {} : { message: remembered }) };
  }

  private finish(folder: string, remembered: string | undefined): void {
    this.snapshot = { ...this.build('first-sync'), folder };
    this.emitter.fire(this.snapshot);
    this.resolveDone({ folder, ...(this.account === undefined ? {} : { account: this.account }), ...(remembered === undefined ? {} : { remembered }) });
  }

  private build(step: SetupState['step']): StatusSnapshot {
    return {
      version: 1,
      auth: this.signedIn ? 'signed-in' : 'signed-out',
      sync: 'checking',
      ...(this.account === undefined ? {} : { account: this.account }),
      setup: { step, suggestedFolder: this.o.suggestedFolder, machine: this.o.machine },
    };
  }

  private update(change: Partial<StatusSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...change };
    this.emitter.fire(this.snapshot);
  }
}
