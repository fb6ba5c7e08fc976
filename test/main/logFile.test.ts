/**
 * The app's log file: lines appended, rotated at start when too big.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLogFile } from '../../src/main/logFile.js';

async function closed(log: { dispose(): void }): Promise<void> {
  log.dispose();
  await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('openLogFile', () => {
  it('appends lines and echoes them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stratus-logs-'));
    const echoed: string[] = [];
    const log = openLogFile(join(dir, 'logs'), { echo: (l) => echoed.push(l) });
    log.write('{"msg":"one"}');
    log.write('{"msg":"two"}');
    await closed(log);
    expect(await readFile(log.path, 'utf8')).toBe('{"msg":"one"}\n{"msg":"two"}\n');
    expect(echoed).toHaveLength(2);
  });

  it('moves a file over the limit to stratus.1.log at start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stratus-logs-'));
    await writeFile(join(dir, 'stratus.log'), 'x'.repeat(200));
    await writeFile(join(dir, 'stratus.1.log'), 'older');
    const log = openLogFile(dir, { maxBytes: 100 });
    log.write('new');
    await closed(log);
    expect(await readFile(join(dir, 'stratus.1.log'), 'utf8')).toBe('x'.repeat(200));
    expect(await readFile(join(dir, 'stratus.log'), 'utf8')).toBe('new\n');
  });
});
