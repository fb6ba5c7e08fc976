/**
 * Names for conflicted copies, in the form people know from Dropbox:
 * `report (conflicted copy laptop 2026-11-22 101500).docx`. Deterministic
 * given the device name and the clock value passed in (no hidden clock), and
 * never equal to a name in use: ` 2`, ` 3`… are added inside the brackets.
 */

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `2026-11-22 101500` in UTC, so two machines name the same instant alike. */
export function conflictStamp(now: Date): string {
  return (
    `${now.getUTCFullYear()}-${pad(now.getUTCMonth() + 1)}-${pad(now.getUTCDate())} ` +
    `${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}`
  );
}

/** Splits `a.tar.gz` into `a.tar` + `.gz`; a leading dot is part of the name (`.bashrc`). */
export function splitExtension(name: string): { readonly stem: string; readonly ext: string } {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return { stem: name, ext: '' };
  return { stem: name.slice(0, dot), ext: name.slice(dot) };
}

/** Device names come from the OS; keep them printable and free of path separators. */
export function sanitizeDeviceName(device: string): string {
  const cleaned = device.replace(/[\\/:*?"<>|\u0000-\u001F\u007F]+/g, '-').trim();
  return cleaned === '' ? 'unknown device' : cleaned.slice(0, 40);
}

/**
 * The conflicted-copy path for `path`, unused according to `taken`.
 * `taken` must answer for every path known on either side and every path the
 * plan already uses.
 */
export function conflictPath(path: string, device: string, now: Date, taken: (path: string) => boolean): string {
  const slash = path.lastIndexOf('/');
  const dir = slash < 0 ? '' : path.slice(0, slash + 1);
  const { stem, ext } = splitExtension(path.slice(slash + 1));
  const base = `conflicted copy ${sanitizeDeviceName(device)} ${conflictStamp(now)}`;
  for (let n = 1; ; n++) {
    const candidate = `${dir}${stem} (${base}${n === 1 ? '' : ` ${n}`})${ext}`;
    if (!taken(candidate)) return candidate;
  }
}
