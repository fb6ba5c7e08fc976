/**
 * The Settings screen (issue 8): every preference under the config file's
 * name, each saved as soon as it changes (`update-settings`, one key at a
 * time). What this face cannot change is shown read-only with where it is set
 * ("Set by --folder"); what the organization enforced says "Managed by your
 * organization" (issue 9). The `.stratusignore` editor previews what the
 * rules would hide before they are saved; the organization's ignore patterns
 * (policy AdminIgnorePatterns) are listed above it, read-only. Numbers are shown in the units
 * people use (KiB/s, percent) and stored in the config's (bytes/s, ratio).
 */
import type { CommandResult, IgnorePreview, LogLevel, PreferenceKey, Preferences, SettingsView, StratusCommand } from '../shared/StratusApi.js';
import { button, el } from './dom.js';

export interface SettingsApi {
  getSettings(): Promise<SettingsView>;
  previewIgnore(text: string): Promise<IgnorePreview>;
  ask(command: StratusCommand): Promise<CommandResult | undefined>;
}

const LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];

/** Why a setting is read-only here, or undefined when it can be changed. */
function lockReason(view: SettingsView, key: PreferenceKey): string | undefined {
  if (view.managed.includes(key)) return 'Managed by your organization';
  if (view.editable.includes(key)) return undefined;
  const source = view.sources?.[key];
  return source === undefined ? 'Cannot be changed here' : `Set by ${source}`;
}

function kib(bytes: number | undefined): string {
  return bytes === undefined ? '' : String(Math.round(bytes / 1024));
}

interface Row {
  readonly key: PreferenceKey;
  readonly label: string;
  readonly control: HTMLElement;
  /** The elements that take input (disabled when locked). */
  readonly inputs: readonly (HTMLInputElement | HTMLSelectElement)[];
}

export async function renderSettings(doc: Document, api: SettingsApi): Promise<void> {
  const form = doc.getElementById('settings-form');
  if (form === null) return;
  let view: SettingsView;
  try {
    view = await api.getSettings();
  } catch (err) {
    form.replaceChildren(el(doc, 'p', { className: 'setup-problem', text: `Settings could not be read: ${err instanceof Error ? err.message : String(err)}` }));
    return;
  }
  const v = view.values;
  const save = (change: Preferences): void => {
    void api.ask({ type: 'update-settings', change }).then(async (result) => {
      const status = doc.getElementById('settings-status');
      if (status !== null) status.textContent = result?.ok === true ? (result.message ?? 'Saved.') : '';
      // Show what is in effect (a refused change goes back to the stored value).
      if (result?.ok !== true) await renderSettings(doc, api);
    });
  };
  const id = (key: string): string => `setting-${key}`;
  const checkbox = (key: 'startAtLogin' | 'notifications' | 'pauseOnBattery' | 'useSystemBrowser', label: string, fallback: boolean): Row => {
    const input = el(doc, 'input', { attrs: { type: 'checkbox', id: id(key) } });
    input.checked = v[key] ?? fallback;
    input.addEventListener('change', () => save({ [key]: input.checked }));
    return { key, label, control: input, inputs: [input] };
  };
  const text = (key: 'deviceName', label: string, value: string): Row => {
    const input = el(doc, 'input', { attrs: { type: 'text', id: id(key), maxlength: '100' } });
    input.value = value;
    input.addEventListener('change', () => {
      const name = input.value.trim();
      if (name !== '') save({ deviceName: name });
    });
    return { key, label, control: input, inputs: [input] };
  };

  const folder = el(doc, 'input', { attrs: { type: 'text', id: id('folder'), readonly: '' } });
  folder.value = v.folder ?? '';
  const up = el(doc, 'input', { attrs: { type: 'number', id: id('bandwidth-up'), min: '1', step: '1', placeholder: 'No limit', 'aria-label': 'Upload limit in KiB per second' } });
  const down = el(doc, 'input', { attrs: { type: 'number', id: id('bandwidth-down'), min: '1', step: '1', placeholder: 'No limit', 'aria-label': 'Download limit in KiB per second' } });
  up.value = kib(v.bandwidth?.upBytesPerSecond);
  down.value = kib(v.bandwidth?.downBytesPerSecond);
  const saveBandwidth = (): void => {
    const rate = (input: HTMLInputElement): number | undefined => (input.value.trim() === '' || Number(input.value) <= 0 ? undefined : Math.round(Number(input.value) * 1024));
    const upRate = rate(up);
    const downRate = rate(down);
    save({ bandwidth: { ...(upRate === undefined ? {} : { upBytesPerSecond: upRate }), ...(downRate === undefined ? {} : { downBytesPerSecond: downRate }) } });
  };
  up.addEventListener('change', saveBandwidth);
  down.addEventListener('change', saveBandwidth);
  const maxFiles = el(doc, 'input', { attrs: { type: 'number', id: id('mass-files'), min: '1', step: '1', 'aria-label': 'Stop before deleting more than this many files' } });
  const maxShare = el(doc, 'input', { attrs: { type: 'number', id: id('mass-share'), min: '1', max: '100', step: '1', 'aria-label': 'or more than this percentage of the synced files' } });
  maxFiles.value = String(v.massDelete?.maxFiles ?? 500);
  maxShare.value = String(Math.round((v.massDelete?.maxRatio ?? 0.5) * 100));
  const saveMassDelete = (): void => {
    const files = Math.floor(Number(maxFiles.value));
    const share = Number(maxShare.value);
    if (files >= 1 && share > 0 && share <= 100) save({ massDelete: { maxFiles: files, maxRatio: share / 100 } });
  };
  maxFiles.addEventListener('change', saveMassDelete);
  maxShare.addEventListener('change', saveMassDelete);
  const level = el(doc, 'select', { attrs: { id: id('logLevel') } }, ...LEVELS.map((l) => el(doc, 'option', { text: l, attrs: { value: l } })));
  level.value = v.logLevel ?? 'info';
  level.addEventListener('change', () => save({ logLevel: level.value as LogLevel }));

  const rows: Row[] = [
    { key: 'folder', label: 'Sync folder', control: folder, inputs: [folder] },
    text('deviceName', 'Device name (in conflicted-copy names)', v.deviceName ?? ''),
    checkbox('startAtLogin', 'Start Stratus when you log in', true),
    checkbox('notifications', 'Notifications (conflicts, stopped deletes, sign-in)', true),
    { key: 'bandwidth', label: 'Bandwidth limits (KiB/s; empty: no limit)', control: el(doc, 'span', { className: 'pair' }, el(doc, 'span', { text: 'Up' }), up, el(doc, 'span', { text: 'Down' }), down), inputs: [up, down] },
    checkbox('pauseOnBattery', 'Pause while on battery', false),
    { key: 'massDelete', label: 'Stop and ask before deleting more than (files, or % of synced files)', control: el(doc, 'span', { className: 'pair' }, maxFiles, el(doc, 'span', { text: 'files or' }), maxShare, el(doc, 'span', { text: '%' })), inputs: [maxFiles, maxShare] },
    { key: 'logLevel', label: 'Log level', control: level, inputs: [level] },
    checkbox('useSystemBrowser', 'Sign in with the system browser', false),
  ];
  const items = rows.map((row) => {
    const reason = lockReason(view, row.key);
    for (const input of row.inputs) input.disabled = reason !== undefined && row.key !== 'folder';
    const note = reason === undefined ? [] : [el(doc, 'span', { className: 'setting-lock', text: reason, attrs: { id: `${id(row.key)}-lock` } })];
    if (reason !== undefined) for (const input of row.inputs) input.setAttribute('aria-describedby', `${id(row.key)}-lock`);
    const label = row.inputs.length === 1
      ? el(doc, 'label', { text: row.label, attrs: { for: row.inputs[0]?.id ?? '' } })
      : el(doc, 'span', { className: 'setting-label', text: row.label });
    return el(doc, 'div', { className: 'setting', attrs: { 'data-setting': row.key, ...(reason === undefined ? {} : { 'data-locked': 'true' }) } }, label, row.control, ...note);
  });

  // .stratusignore: edited as text, previewed before saving.
  const rules = el(doc, 'textarea', { attrs: { id: 'ignore-rules', rows: '6', spellcheck: 'false', 'aria-describedby': 'ignore-preview' } });
  rules.value = view.ignoreRules;
  const preview = el(doc, 'p', { className: 'muted', attrs: { id: 'ignore-preview', 'aria-live': 'polite' } });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const showPreview = (): void => {
    void api.previewIgnore(rules.value).then((p) => {
      if (p.problems.length > 0) preview.textContent = p.problems.join(' ');
      else if (p.hidden === 0) preview.textContent = 'These rules hide nothing in the folder.';
      else preview.textContent = `Hides ${p.hidden} item${p.hidden === 1 ? '' : 's'}: ${p.sample.join(', ')}${p.hidden > p.sample.length ? ', …' : ''}`;
    }, () => undefined);
  };
  rules.addEventListener('input', () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(showPreview, 300);
  });
  showPreview();
  // Applied before the user's rules, which cannot undo them: shown, never editable.
  const adminRules = view.adminIgnoreRules ?? [];
  const admin = adminRules.length === 0 ? [] : [
    el(doc, 'div', { className: 'admin-ignore', attrs: { id: 'admin-ignore-rules', 'data-locked': 'true' } },
      el(doc, 'span', { className: 'setting-lock', text: 'Set by your organization (cannot be changed)', attrs: { id: 'admin-ignore-label' } }),
      el(doc, 'ul', { attrs: { 'aria-labelledby': 'admin-ignore-label' } }, ...adminRules.map((pattern) => el(doc, 'li', { text: pattern, className: 'mono' })))),
  ];
  const ignore = el(doc, 'div', { className: 'setting ignore-editor', attrs: { 'data-setting': 'ignore' } },
    el(doc, 'label', { text: 'Files not to sync (.stratusignore, one pattern per line)', attrs: { for: 'ignore-rules' } }),
    ...admin,
    rules, preview,
    el(doc, 'div', { className: 'actions' }, button(doc, 'Save rules', 'save-ignore', () => {
      void api.ask({ type: 'set-ignore-rules', text: rules.value }).then((result) => {
        const status = doc.getElementById('settings-status');
        if (status !== null && result?.ok === true) status.textContent = result.message ?? 'Saved.';
      });
    })));

  const logs = view.logsFolder === undefined ? [] : [el(doc, 'div', { className: 'actions' }, button(doc, 'Open logs folder', 'open-logs', () => void api.ask({ type: 'open-logs' })))];
  form.replaceChildren(...items, ignore, ...logs);
}
