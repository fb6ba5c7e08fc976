/**
 * Sizes as every face shows them (the status window, the tray, engine
 * messages): binary units, as the CLI's `--limit-up 2M` reads them —
 * "512 B", "1.5 KiB", "120 MiB" (one decimal below 100, none above).
 */
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 || value >= 100 ? 0 : 1)} ${UNITS[unit] ?? ''}`;
}
