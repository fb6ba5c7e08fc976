/**
 * How times read in the status window: clock times in the reader's locale,
 * durations rounded the way people say them ("about 2 min"). Sizes:
 * src/shared/format.ts (the same on every face).
 */
export { formatBytes } from '../shared/format.js';

/** "14:02" today, "22 Nov, 14:02" on another day; '' for a malformed time. */
export function formatTime(iso: string, now: Date = new Date(), locale?: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return '';
  const time = at.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
  if (at.toDateString() === now.toDateString()) return time;
  return `${at.toLocaleDateString(locale, { day: 'numeric', month: 'short' })}, ${time}`;
}

/** "less than a minute", "about 3 min", "about 2 h 10 min". */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return 'less than a minute';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `about ${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m === 0 ? `about ${h} h` : `about ${h} h ${m} min`;
}

/** The last segment of a path inside the sync folder. */
export function baseName(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? path : path.slice(slash + 1);
}
