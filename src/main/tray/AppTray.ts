/**
 * The tray icon: Electron's Tray showing trayMenuModel/trayTooltip (pure,
 * tested in Node) and the icon of the current state (trayIcons.ts: template
 * images on macOS, colour elsewhere). The context menu is set on every
 * platform, because on Linux (AppIndicator) clicks on the icon may never be
 * delivered; on Windows a click also opens the status window.
 */
import { Menu, nativeImage, Tray, type MenuItemConstructorOptions, type NativeImage } from 'electron';
import type { Disposable } from '../../core/Emitter.js';
import type { StatusSnapshot, SyncState } from '../../shared/StratusApi.js';
import type { AppSettings } from '../settings/appSettings.js';
import { trayIconPngs } from './trayIcons.js';
import { trayMenuModel, trayTooltip, type TrayAction, type TrayMenuItem, type TrayUpdate } from './trayMenuModel.js';

export interface AppTrayOptions {
  readonly onAction: (action: TrayAction) => void;
  /** @default process.platform */
  readonly platform?: NodeJS.Platform;
}

/** The Electron menu for a model (exported for the _electron suite to compare with). */
export function menuTemplate(items: readonly TrayMenuItem[], onAction: (action: TrayAction) => void): MenuItemConstructorOptions[] {
  return items.map((item): MenuItemConstructorOptions => {
    switch (item.kind) {
      case 'separator': return { type: 'separator' };
      case 'label': return { label: item.label, enabled: false };
      case 'action': return { id: item.action, label: item.label, enabled: item.enabled, click: () => onAction(item.action) };
    }
  });
}

export class AppTray implements Disposable {
  private readonly tray: Tray;
  private readonly platform: NodeJS.Platform;
  private readonly images = new Map<SyncState, NativeImage>();
  private shownState: SyncState | undefined;
  /** The model last shown (the _electron suite reads it through `app.evaluate`). */
  model: readonly TrayMenuItem[] = [];

  constructor(private readonly o: AppTrayOptions) {
    this.platform = o.platform ?? process.platform;
    this.tray = new Tray(this.image('checking'));
    if (this.platform === 'win32') this.tray.on('click', () => o.onAction('open-window'));
  }

  private image(state: SyncState): NativeImage {
    const cached = this.images.get(state);
    if (cached !== undefined) return cached;
    const template = this.platform === 'darwin';
    const { x1, x2 } = trayIconPngs(state, template ? 'template' : 'color');
    const image = nativeImage.createFromBuffer(x1, { scaleFactor: 1 });
    image.addRepresentation({ scaleFactor: 2, buffer: x2 });
    // macOS recolours template images for light and dark menu bars.
    if (template) image.setTemplateImage(true);
    this.images.set(state, image);
    return image;
  }

  update(status: StatusSnapshot, settings: AppSettings, update?: TrayUpdate): void {
    if (this.tray.isDestroyed()) return;
    if (status.sync !== this.shownState) {
      this.tray.setImage(this.image(status.sync));
      this.shownState = status.sync;
    }
    this.tray.setToolTip(trayTooltip(status));
    this.model = trayMenuModel(status, settings, {}, update);
    this.tray.setContextMenu(Menu.buildFromTemplate(menuTemplate(this.model, this.o.onAction)));
  }

  dispose(): void {
    if (!this.tray.isDestroyed()) this.tray.destroy();
  }
}
