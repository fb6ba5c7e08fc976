import { describe, expect, it } from 'vitest';
import { StatusService } from '../../src/main/StatusService.js';
import type { StatusSnapshot } from '../../src/shared/StratusApi.js';

describe('StatusService', () => {
  it('starts signed out and idle', () => {
    expect(new StatusService().current).toEqual({ version: 1, auth: 'signed-out', sync: 'checking' });
  });

  it('fires onDidChangeStatus with the whole new snapshot', () => {
    const service = new StatusService();
    const seen: StatusSnapshot[] = [];
    service.onDidChangeStatus((s) => seen.push(s));
    service.update({ auth: 'signed-in', account: 'ada@example.com' });
    service.update({ sync: 'syncing' });
    expect(seen).toEqual([
      { version: 1, auth: 'signed-in', sync: 'checking', account: 'ada@example.com' },
      { version: 1, auth: 'signed-in', sync: 'syncing', account: 'ada@example.com' },
    ]);
    expect(service.current).toBe(seen[1]);
  });

  it('stops notifying after dispose', () => {
    const service = new StatusService();
    let calls = 0;
    service.onDidChangeStatus(() => calls++);
    service.dispose();
    service.update({ sync: 'offline' });
    expect(calls).toBe(0);
  });
});
