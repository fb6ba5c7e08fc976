/**
 * The ports between the AppController and the platform: the account (cognito
 * sign-in), the engine (an EngineSupervisor), timers, the desktop's dialogs
 * and the folder checks. Types only; Electron's implementations are wired in
 * composition.ts, fakes in the tests.
 */
import type { Event } from '../core/Emitter.js';
import type { EngineCredentials } from '../shared/EngineProtocol.js';
import type { CommandResult, StatusSnapshot, StratusCommand } from '../shared/StratusApi.js';
import type { FolderInspection } from './firstRun.js';

/** A signed-in user, as main holds it (cognito mode). No secret leaves through here except to the engine. */
export interface SignedInAccount {
  /** Who, for people (email or user name). */
  readonly user: string;
  readonly identityId: string;
  /** `<identityId>/`. */
  readonly prefix: string;
  /** Current credentials (renewed by the provider when less than 5 min are left). */
  credentials(): Promise<EngineCredentials>;
  /** Revokes the session and forgets it on this computer. */
  signOut(): Promise<void>;
}

export type RestoreResult =
  | { readonly kind: 'signed-in'; readonly account: SignedInAccount }
  | { readonly kind: 'signed-out'; readonly message?: string }
  /** The sign-in server cannot be reached now (offline): try again later, the session is kept. */
  | { readonly kind: 'unreachable'; readonly message: string };

/** Cognito sign-in in the app (auth/CognitoAccountPort.ts). */
export interface AccountPort {
  restore(): Promise<RestoreResult>;
  /** The login window (or system browser); rejects with a StratusError-like `{ code, message }` when it did not work. */
  signIn(): Promise<SignedInAccount>;
  /** Ends a sign-in in progress (the app quits). */
  cancelSignIn(): void;
}

/** What the controller needs of an EngineSupervisor. */
export interface EngineHandle {
  readonly current: StatusSnapshot;
  readonly onDidChangeStatus: Event<StatusSnapshot>;
  start(): void;
  stop(): Promise<void>;
  run(command: StratusCommand): Promise<CommandResult>;
  setCredentials(credentials: EngineCredentials): void;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The desktop's own dialogs (Electron's in the app). */
export interface AppDialogs {
  /** The system folder picker, starting at `suggested`; undefined when cancelled. */
  pickFolder(suggested: string): Promise<string | undefined>;
  /** Asks the merge question; true to go ahead. */
  confirmMerge(question: string): Promise<boolean>;
  /** The first run is over: the tray line, once (a notification). */
  tellFirstRunDone(message: string): void;
}

/** The folder side of choosing a folder. @default node:fs (inspectFolder, mkdir -p) */
export interface FolderPorts {
  inspect(folder: string): Promise<FolderInspection>;
  create(folder: string): Promise<void>;
}

/** Where the account stands (cognito mode). */
export type AccountState =
  | { readonly state: 'none' }
  | { readonly state: 'signing-in' }
  | { readonly state: 'signed-in'; readonly account: SignedInAccount }
  | { readonly state: 'signed-out'; readonly message?: string }
  | { readonly state: 'unreachable'; readonly message: string };

