/**
 * When `stratus watch --ui` starts with the first-run flow, and what it asks:
 * nothing when signed in (aws mode) with a folder; the folder when none is
 * given; a folder the organization named (DefaultSyncFolder policy) that does
 * not exist yet is offered first, and one that exists is simply used; a
 * setting that contradicts an enforced policy is left to the usual path,
 * which refuses it.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCliArgs, type ParsedArgs } from '../../src/cli/args.js';
import type { CommandIo } from '../../src/cli/CliIo.js';
import { setupNeed, suggestedFolder } from '../../src/cli/watchSetup.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stratus-watch-setup-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function args(argv: string[]): ParsedArgs {
  const parsed = parseCliArgs(argv);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.args;
}

async function io(policy?: Record<string, unknown>): Promise<CommandIo & { errors: string[] }> {
  const env: Record<string, string> = { HOME: dir };
  if (policy !== undefined) {
    const file = join(dir, `policy-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(file, JSON.stringify(policy), { mode: 0o644 });
    env['STRATUS_POLICY_FILE'] = file;
  }
  const errors: string[] = [];
  return { stdout: () => undefined, stderr: (l) => errors.push(l), version: 'test', env, cwd: dir, errors };
}

const aws = ['watch', '--ui', '--auth', 'aws', '--bucket', 'acme-stratus', '--region', 'eu-west-1', '--prefix', 'ada/'];

describe('first run of watch --ui', () => {
  it('asks nothing with a folder given, and for the folder without one', async () => {
    const folder = join(dir, 'given');
    await mkdir(folder);
    expect(await setupNeed(args([...aws, '--folder', folder]), await io())).toBeUndefined();
    const need = await setupNeed(args(aws), await io());
    expect(need).toMatchObject({ signIn: false, folder: true });
    expect(suggestedFolder(await io(), need)).toBe(join(dir, 'Stratus'));
    // Without --ui, never.
    expect(await setupNeed(args(aws.filter((a) => a !== '--ui')), await io())).toBeUndefined();
  });

  it('offers the folder the organization named when it does not exist yet, and uses it when it does', async () => {
    const named = join(dir, 'Company Files');
    const need = await setupNeed(args(aws), await io({ Defaults: { DefaultSyncFolder: named } }));
    expect(need).toMatchObject({ folder: true, suggestedFolder: named });
    expect(suggestedFolder(await io(), need)).toBe(named);
    await mkdir(named);
    expect(await setupNeed(args(aws), await io({ Defaults: { DefaultSyncFolder: named } }))).toBeUndefined();
  });

  it('leaves a contradiction with an enforced policy to the usual path (which refuses it)', async () => {
    expect(await setupNeed(args(aws), await io({ Bucket: 'other-bucket' }))).toBeUndefined();
  });
});
