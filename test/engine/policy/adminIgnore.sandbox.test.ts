/**
 * AdminIgnorePatterns end to end on the sandbox (issue 9): a file the
 * organization ignores is never uploaded, even when the folder's
 * .stratusignore tries to bring it back with `!`, and the user's own rules
 * still apply beside it.
 */
import { describe, expect, it } from 'vitest';
import { sandboxWorldPerTest } from '../../support/sandboxWorld.js';
import type { EngineWorld } from '../scenarios/engineWorld.js';

let world: EngineWorld;
sandboxWorldPerTest((_backend, w) => {
  world = w;
});

describe('admin ignore patterns on the sandbox', () => {
  it('never uploads an admin-ignored file, even with a negation in .stratusignore', async () => {
    const ada = await world.client('ada', { adminIgnorePatterns: ['*.pst', 'secrets/'] });
    await ada.write('.stratusignore', '!*.pst\n!secrets/\n*.log\n');
    await ada.write('mail/archive.pst', 'mailbox');
    await ada.write('secrets/keys.txt', 'hunter2');
    await ada.write('build.log', 'log');
    await ada.write('report.txt', 'report');
    const result = await ada.sync();
    expect(result.errors).toEqual([]);
    expect([...(await world.remoteFiles()).keys()].sort()).toEqual(['.stratusignore', 'report.txt']);
    // Still there locally: an ignored file is neither synced nor deleted.
    expect(await ada.read('mail/archive.pst')).toBe('mailbox');
  });

  it('uploads the same file when no organization pattern hides it (the test can fail)', async () => {
    const bob = await world.client('bob');
    await bob.write('.stratusignore', '!*.pst\n');
    await bob.write('mail/archive.pst', 'mailbox');
    await bob.sync();
    expect([...(await world.remoteFiles()).keys()].sort()).toEqual(['.stratusignore', 'mail/archive.pst']);
  });
});
