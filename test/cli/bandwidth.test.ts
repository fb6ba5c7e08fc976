import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../../src/cli/args.js';
import { bandwidthFromArgs, parseRate } from '../../src/cli/bandwidth.js';

function argsOf(argv: string[]): Parameters<typeof bandwidthFromArgs>[0] {
  const parsed = parseCliArgs(argv);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.args;
}

describe('bandwidth flags', () => {
  it('reads rates the way rclone users write them', () => {
    expect(parseRate('800000', 'limit-up')).toBe(800_000);
    expect(parseRate('500K', 'limit-up')).toBe(500 * 1024);
    expect(parseRate('2M', 'limit-up')).toBe(2 * 1024 ** 2);
    expect(parseRate('1.5MiB/s', 'limit-up')).toBe(1.5 * 1024 ** 2);
    expect(parseRate('1g', 'limit-up')).toBe(1024 ** 3);
    expect(parseRate('off', 'limit-up')).toBeUndefined();
    expect(parseRate('0', 'limit-up')).toBeUndefined();
  });

  it('names the flag and the value it cannot read', () => {
    for (const bad of ['fast', '-1M', '2T', '', '0.5']) {
      expect(parseRate(bad, 'limit-down')).toEqual({ error: expect.stringContaining(`--limit-down must be a rate`) as unknown });
    }
  });

  it('gives both limits from sync or watch arguments, and none when no flag was given', () => {
    expect(bandwidthFromArgs(argsOf(['watch', '--limit-up', '1M', '--limit-down', '4M']))).toEqual({
      uploadBytesPerSecond: 1024 ** 2, downloadBytesPerSecond: 4 * 1024 ** 2,
    });
    expect(bandwidthFromArgs(argsOf(['sync', '--once']))).toEqual({});
    expect(bandwidthFromArgs(argsOf(['sync', '--once', '--limit-up', 'x', '--limit-down', 'y']))).toHaveLength(2);
  });
});
