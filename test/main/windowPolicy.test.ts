import { describe, expect, it } from 'vitest';
import { isAppUrl, secureWebPreferences } from '../../src/main/windowPolicy.js';

describe('window security policy', () => {
  it('sandboxes and isolates every renderer, with no Node in the page', () => {
    expect(secureWebPreferences('/app/out/preload/index.cjs')).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      webviewTag: false,
    });
  });

  it.each([
    ['stratus-app://app/index.html', true],
    ['stratus-app://app/', true],
    ['stratus-app://evil/index.html', false],
    ['stratus-app://app.evil.com/', false],
    ['https://example.com/', false],
    ['file:///etc/passwd', false],
  ])('treats %s as an app URL: %s', (url, expected) => {
    expect(isAppUrl(url)).toBe(expected);
  });
});
