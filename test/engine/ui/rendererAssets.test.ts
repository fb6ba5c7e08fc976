import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RENDERER_CSP, resolveAppAsset } from '../../../src/engine/ui/rendererAssets.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'stratus-assets-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('resolveAppAsset', () => {
  it('serves index.html for the root path with the strict CSP', () => {
    const asset = resolveAppAsset(root, '/');
    expect(asset).toMatchObject({ ok: true, filePath: join(root, 'index.html') });
    if (asset.ok) {
      expect(asset.headers['content-security-policy']).toBe(RENDERER_CSP);
      expect(asset.headers['content-type']).toBe('text/html; charset=utf-8');
    }
  });

  it('maps asset paths inside the renderer folder', () => {
    expect(resolveAppAsset(root, '/assets/index-abc.js')).toMatchObject({
      ok: true,
      filePath: join(root, 'assets/index-abc.js'),
    });
  });

  it.each([
    '/../package.json',
    '/assets/../../secret.js',
    '/%2e%2e/%2e%2e/etc/passwd.html',
    '/assets%2f..%2f..%2fx.js',
    '/..\\..\\x.js',
    '/a%00.js',
    '/%E0%A4%A.js',
  ])('refuses %s, which would leave the renderer folder or is malformed', (path) => {
    expect(resolveAppAsset(root, path)).toEqual({ ok: false, status: 404 });
  });

  it('refuses file types the renderer does not ship', () => {
    expect(resolveAppAsset(root, '/main.ts')).toEqual({ ok: false, status: 404 });
  });

  it('allows no inline script, eval or remote connection in the CSP', () => {
    expect(RENDERER_CSP).toContain("default-src 'none'");
    expect(RENDERER_CSP).toContain("script-src 'self'");
    expect(RENDERER_CSP).not.toContain('unsafe-inline');
    expect(RENDERER_CSP).not.toContain('unsafe-eval');
    expect(RENDERER_CSP).toContain("connect-src 'none'");
  });
});
