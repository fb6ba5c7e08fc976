/**
 * The status and the controls of one continuous sync, as both faces use them
 * (`stratus watch --ui` and the app's engine process): a LiveStatus fed by the
 * scheduler and the engine, and a SyncController for the user's commands.
 * Create it right after ContinuousSync.start, before anything else awaits, so
 * the first run's events are not missed.
 */
import type { Disposable, Event } from '../../core/Emitter.js';
import type { AccountInfo } from '../../shared/StratusApi.js';
import type { Logger } from '../logger.js';
import type { EnginePhase } from '../SyncEngine.js';
import type { CompletedItem } from '../SyncResult.js';
import { LiveStatus, type StartedItem } from './LiveStatus.js';
import { SyncController, type ControllableEngine, type ControllableSync, type PreferencesPort } from './SyncController.js';
import type { CompletedRun, StateChange } from './SyncScheduler.js';

export interface StatusFaceOptions {
  readonly sync: ControllableSync & {
    readonly scheduler: { readonly onDidChangeState: Event<StateChange>; readonly onDidCompleteRun: Event<CompletedRun> };
  };
  readonly engine: ControllableEngine & {
    readonly onDidChangePhase: Event<EnginePhase>;
    readonly onDidCompleteItem: Event<CompletedItem>;
    readonly onDidStartItem?: Event<StartedItem>;
  };
  readonly folder: string;
  readonly account?: string;
  readonly location?: AccountInfo;
  readonly canOpenFiles?: boolean;
  /** Right after the first-run flow (LiveStatus shows first sync, then done). */
  readonly firstRun?: boolean;
  readonly preferences?: PreferencesPort;
  readonly log?: Logger;
}

export interface StatusFace extends Disposable {
  readonly live: LiveStatus;
  readonly controller: SyncController;
}

export function createStatusFace(o: StatusFaceOptions): StatusFace {
  const engine = o.engine;
  const attention = engine.attention?.bind(engine);
  const live = new LiveStatus({
    scheduler: o.sync.scheduler,
    engine,
    folder: o.folder,
    ...(attention === undefined ? {} : { attention }),
    ...(o.account === undefined ? {} : { account: o.account }),
    ...(o.location === undefined ? {} : { location: o.location }),
    ...(o.canOpenFiles === undefined ? {} : { canOpenFiles: o.canOpenFiles }),
    ...(o.firstRun === undefined ? {} : { firstRun: o.firstRun }),
  });
  const controller = new SyncController({
    sync: o.sync, engine, status: live,
    ...(o.preferences === undefined ? {} : { preferences: o.preferences }),
    ...(o.log === undefined ? {} : { log: o.log }),
  });
  return {
    live,
    controller,
    dispose: () => {
      controller.dispose();
      live.dispose();
    },
  };
}
