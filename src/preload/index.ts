/**
 * Preload: exposes `window.stratus` (a `StratusApi`) through contextBridge and
 * nothing else. Named functions only; raw ipcRenderer never reaches the page.
 * Bundled as CommonJS because sandboxed preloads cannot be ES modules.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  IpcChannels, type CommandResult, type IgnorePreview, type SettingsView, type StatusSnapshot, type StratusApi, type StratusCommand,
} from '../shared/StratusApi.js';
import { isCommandResult, isIgnorePreview, isSettingsView, isStatusSnapshot } from '../shared/validators.js';

const api: StratusApi = {
  async getStatus(): Promise<StatusSnapshot> {
    const status: unknown = await ipcRenderer.invoke(IpcChannels.getStatus);
    if (!isStatusSnapshot(status)) throw new Error('Stratus: main process sent a malformed status');
    return status;
  },
  onDidChangeStatus(listener: (status: StatusSnapshot) => void): () => void {
    const handler = (_event: IpcRendererEvent, status: unknown): void => {
      if (isStatusSnapshot(status)) listener(status);
    };
    ipcRenderer.on(IpcChannels.statusChanged, handler);
    return () => {
      ipcRenderer.removeListener(IpcChannels.statusChanged, handler);
    };
  },
  async run(command: StratusCommand): Promise<CommandResult> {
    const result: unknown = await ipcRenderer.invoke(IpcChannels.run, command);
    if (!isCommandResult(result)) throw new Error('Stratus: main process sent a malformed command result');
    return result;
  },
  async getSettings(): Promise<SettingsView> {
    const view: unknown = await ipcRenderer.invoke(IpcChannels.getSettings);
    if (!isSettingsView(view)) throw new Error('Stratus: main process sent malformed settings');
    return view;
  },
  async previewIgnore(text: string): Promise<IgnorePreview> {
    const preview: unknown = await ipcRenderer.invoke(IpcChannels.previewIgnore, text);
    if (!isIgnorePreview(preview)) throw new Error('Stratus: main process sent a malformed ignore preview');
    return preview;
  },
};

contextBridge.exposeInMainWorld('stratus', api);
