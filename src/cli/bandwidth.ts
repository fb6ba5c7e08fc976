/**
 * `--limit-up` / `--limit-down`: bandwidth limits as people write them.
 * A plain number is bytes per second; K, M and G (optionally followed by
 * "i", "B" and "/s") are KiB, MiB and GiB per second, as rclone's --bwlimit
 * reads them ("10M" = 10 MiB/s). "off" or "0" means no limit.
 * Without a flag, a direction takes the config file's "bandwidth" (bytes per
 * second); a flag wins for its own direction, "off" included.
 */
import type { BandwidthLimits } from '../engine/ports.js';
import type { StratusConfig } from '../shared/StratusConfig.js';
import type { ParsedArgs } from './args.js';

const UNITS: Readonly<Record<string, number>> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Bytes per second, undefined for "no limit", or an error line naming the flag. */
export function parseRate(value: string, flag: string): number | undefined | { readonly error: string } {
  const text = value.trim().toLowerCase();
  if (text === 'off' || text === '0') return undefined;
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?(?:\/s)?$/.exec(text);
  const amount = match === null ? Number.NaN : Number(match[1]) * (UNITS[match[2] ?? ''] ?? Number.NaN);
  if (!Number.isFinite(amount) || amount < 1) {
    return { error: `--${flag} must be a rate such as 500K or 2M (KiB/MiB per second), or "off" (got "${value}")` };
  }
  return Math.floor(amount);
}

/** The limits the flags give (empty when none was given), or the problems with them. */
export function bandwidthFromArgs(args: ParsedArgs): BandwidthLimits | string[] {
  const errors: string[] = [];
  const read = (value: string | undefined, flag: string): number | undefined => {
    if (value === undefined) return undefined;
    const rate = parseRate(value, flag);
    if (typeof rate === 'object') {
      errors.push(rate.error);
      return undefined;
    }
    return rate;
  };
  const up = read(args.bandwidth.up, 'limit-up');
  const down = read(args.bandwidth.down, 'limit-down');
  if (errors.length > 0) return errors;
  return { ...(up === undefined ? {} : { uploadBytesPerSecond: up }), ...(down === undefined ? {} : { downloadBytesPerSecond: down }) };
}

/**
 * The limits in effect: each direction from its flag when one was given
 * (`flags` is bandwidthFromArgs's result, "off" there lifts the file's limit),
 * else from the config file's "bandwidth".
 */
export function effectiveBandwidth(args: ParsedArgs, flags: BandwidthLimits, config: StratusConfig['bandwidth']): BandwidthLimits {
  const up = args.bandwidth.up !== undefined ? flags.uploadBytesPerSecond : config?.upBytesPerSecond;
  const down = args.bandwidth.down !== undefined ? flags.downloadBytesPerSecond : config?.downBytesPerSecond;
  return { ...(up === undefined ? {} : { uploadBytesPerSecond: up }), ...(down === undefined ? {} : { downloadBytesPerSecond: down }) };
}
