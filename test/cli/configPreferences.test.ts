/**
 * How the CLI applies the config file's preferences that flags can also give:
 * bandwidth (`--limit-up` / `--limit-down` win per direction) and the log
 * level (`--verbose` wins; neither: no logs).
 */
import { describe, expect, it } from 'vitest';
import { parseCliArgs, type ParsedArgs } from '../../src/cli/args.js';
import { bandwidthFromArgs, effectiveBandwidth } from '../../src/cli/bandwidth.js';
import { cliLoggers, cliLogLevel } from '../../src/cli/CliIo.js';

function argsOf(...argv: string[]): ParsedArgs {
  const parsed = parseCliArgs(argv);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.args;
}

function limits(args: ParsedArgs, config?: { upBytesPerSecond?: number; downBytesPerSecond?: number }) {
  const flags = bandwidthFromArgs(args);
  if (Array.isArray(flags)) throw new Error(flags.join('; '));
  return effectiveBandwidth(args, flags, config);
}

describe('bandwidth from the config file', () => {
  const file = { upBytesPerSecond: 1000, downBytesPerSecond: 2000 };

  it('is the default for both directions when no flag is given', () => {
    expect(limits(argsOf('sync', '--once'), file)).toEqual({ uploadBytesPerSecond: 1000, downloadBytesPerSecond: 2000 });
    expect(limits(argsOf('sync', '--once'), { downBytesPerSecond: 2000 })).toEqual({ downloadBytesPerSecond: 2000 });
    expect(limits(argsOf('sync', '--once'))).toEqual({});
  });

  it('gives way to a flag for that direction only', () => {
    expect(limits(argsOf('watch', '--limit-up', '1K'), file)).toEqual({ uploadBytesPerSecond: 1024, downloadBytesPerSecond: 2000 });
    expect(limits(argsOf('watch', '--limit-down', '3K'), file)).toEqual({ uploadBytesPerSecond: 1000, downloadBytesPerSecond: 3072 });
  });

  it('is lifted by a flag saying "off"', () => {
    expect(limits(argsOf('sync', '--once', '--limit-up', 'off'), file)).toEqual({ downloadBytesPerSecond: 2000 });
    expect(limits(argsOf('sync', '--once', '--limit-up', '0', '--limit-down', 'off'), file)).toEqual({});
  });
});

describe('the log level', () => {
  it('is debug with --verbose, else the config file\'s, else none', () => {
    expect(cliLogLevel(true, 'error')).toBe('debug');
    expect(cliLogLevel(false, 'warn')).toBe('warn');
    expect(cliLogLevel(false)).toBeUndefined();
  });

  it('writes JSON lines on stderr at the config file\'s level and above, and nothing without one', () => {
    const lines: string[] = [];
    const io = { stdout: () => undefined, stderr: (line: string) => lines.push(line), version: 'test' };
    const warnings = cliLoggers(io, false, 'warn')('engine');
    warnings.info('not shown');
    warnings.warn('shown');
    expect(lines.map((l) => (JSON.parse(l) as { level: string; msg: string }).msg)).toEqual(['shown']);
    lines.length = 0;
    const silent = cliLoggers(io, false)('engine');
    silent.error('never shown');
    expect(lines).toEqual([]);
    cliLoggers(io, true, 'error')('engine').debug('verbose wins');
    expect(lines).toHaveLength(1);
  });
});
