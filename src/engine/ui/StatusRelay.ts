/**
 * StatusRelay: one status source and one command handler for the status
 * page, whose origin can change while the page stays open — the first-run
 * flow (SetupFlow) first, then the running engine's LiveStatus and
 * SyncController. Subscribers see one stream of snapshots across the switch.
 */
import { Emitter, type Disposable, type Event } from '../../core/Emitter.js';
import type { CommandResult, IgnorePreview, SettingsView, StatusSnapshot, StratusCommand } from '../../shared/StratusApi.js';
import type { StatusPageController as RelayedController, StatusSource as RelayedSource } from './StatusPageServer.js';

export class StatusRelay implements Disposable {
  private readonly emitter = new Emitter<StatusSnapshot>();
  readonly onDidChangeStatus: Event<StatusSnapshot> = this.emitter.event;
  private subscription: Disposable | undefined;
  private source!: RelayedSource;
  private controller!: RelayedController;

  constructor(source: RelayedSource, controller: RelayedController) {
    this.switchTo(source, controller);
  }

  get current(): StatusSnapshot {
    return this.source.current;
  }

  run(command: StratusCommand): Promise<CommandResult> {
    return this.controller.run(command);
  }

  /** The current controller's settings (nothing to set while the first run asks). */
  settings(): Promise<SettingsView> {
    return this.controller.settings?.() ?? Promise.resolve({ values: {}, editable: [], managed: [], ignoreRules: '' });
  }

  previewIgnore(text: string): Promise<IgnorePreview> {
    return this.controller.previewIgnore?.(text) ?? Promise.resolve({ hidden: 0, sample: [], problems: ['Choose the folder first.'] });
  }

  /** From now on, relays `source` and sends commands to `controller`; tells subscribers at once. */
  switchTo(source: RelayedSource, controller: RelayedController): void {
    this.subscription?.dispose();
    this.source = source;
    this.controller = controller;
    this.subscription = source.onDidChangeStatus((status) => this.emitter.fire(status));
    this.emitter.fire(source.current);
  }

  dispose(): void {
    this.subscription?.dispose();
    this.emitter.dispose();
  }
}
