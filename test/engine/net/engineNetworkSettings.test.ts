/** The engine's start message carries the network settings (EngineSettings), validated like every other field. */
import { describe, expect, it } from 'vitest';
import { isEngineSettings } from '../../../src/shared/EngineProtocol.js';

const base = { folder: '/home/ada/Stratus', bucket: 'b', region: 'us-east-1', prefix: 'p/' };

describe('EngineSettings network fields', () => {
  it('accepts a proxy URL, a bypass list and an extra CA file, each optional', () => {
    expect(isEngineSettings(base)).toBe(true);
    expect(isEngineSettings({ ...base, proxyUrl: 'http://proxy:3128', proxyBypassList: ['.corp', '10.0.0.0/8'], extraCaCertificates: '/etc/ca.pem' })).toBe(true);
    expect(isEngineSettings({ ...base, proxyBypassList: [] })).toBe(true);
  });

  it('refuses fields of the wrong type', () => {
    expect(isEngineSettings({ ...base, proxyUrl: 3128 })).toBe(false);
    expect(isEngineSettings({ ...base, proxyBypassList: '.corp' })).toBe(false);
    expect(isEngineSettings({ ...base, proxyBypassList: ['.corp', 7] })).toBe(false);
    expect(isEngineSettings({ ...base, extraCaCertificates: ['/etc/ca.pem'] })).toBe(false);
  });
});
