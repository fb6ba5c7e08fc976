import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode, runCli } from '../../src/cli/runCli.js';

const repo = resolve(import.meta.dirname, '../..');

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { stdout: (l) => out.push(l), stderr: (l) => err.push(l), version: '9.9.9' });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('stratus CLI', () => {
  it('prints the version', async () => {
    expect(await run('--version')).toEqual({ code: ExitCode.ok, out: '9.9.9', err: '' });
  });

  it('prints usage with the exit codes for --help', async () => {
    const result = await run('--help');
    expect(result.code).toBe(ExitCode.ok);
    expect(result.out).toContain('Usage: stratus');
    expect(result.out).toContain('3 stopped by a safety rail');
  });

  it('exits 2 with a one-line reason for an unknown flag or command', async () => {
    const flag = await run('--frobnicate');
    expect(flag.code).toBe(ExitCode.usage);
    expect(flag.err).toMatch(/^stratus: Unknown option '--frobnicate'/);
    const command = await run('teleport');
    expect(command.code).toBe(ExitCode.usage);
    expect(command.err).toContain('unknown command "teleport"');
  });

  it('runs as the package bin from the build output', () => {
    if (!existsSync(join(repo, 'out/tsc/src/cli/index.js'))) {
      throw new Error('out/tsc is missing: run "npm run build" first (npm test does).');
    }
    const result = spawnSync(process.execPath, [join(repo, 'bin/stratus.js'), '--version'], { encoding: 'utf8' });
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string };
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe(pkg.version);
    expect(result.status).toBe(0);
  });
});
