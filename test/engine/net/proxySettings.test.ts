/**
 * Which proxy, from which source, and the bypass list as Node's built-in
 * proxy support will read it (the real round trip is proxyCa.sandbox.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { decideProxy, normalizeProxyUrl, redactProxy, translateBypassEntry } from '../../../src/engine/net/proxySettings.js';
import { networkSettingsOf } from '../../../src/engine/net/networkSettingsOf.js';

describe('decideProxy', () => {
  it('uses no proxy when neither the settings nor the environment name one', () => {
    expect(decideProxy({}, { NO_PROXY: 'example.com' })).toEqual({ proxyEnv: {}, problems: [] });
  });

  it('takes the ProxyUrl setting for both schemes and ignores the environment, NO_PROXY included', () => {
    const decision = decideProxy({ proxyUrl: 'http://proxy.corp:3128', proxyBypassList: ['.internal'] }, { HTTPS_PROXY: 'http://other:1', NO_PROXY: '*' });
    expect(decision).toEqual({
      proxyEnv: { HTTPS_PROXY: 'http://proxy.corp:3128', HTTP_PROXY: 'http://proxy.corp:3128', NO_PROXY: '.internal' },
      source: 'the ProxyUrl setting',
      problems: [],
    });
  });

  it('reads https_proxy before HTTPS_PROXY, http_proxy for http, and NO_PROXY when no bypass list is set', () => {
    const decision = decideProxy({}, { https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:2', HTTP_PROXY: 'plain:3', no_proxy: 'localhost' });
    expect(decision).toEqual({
      proxyEnv: { HTTPS_PROXY: 'http://lower:1', HTTP_PROXY: 'http://plain:3', NO_PROXY: 'localhost,.localhost' },
      source: 'https_proxy',
      problems: [],
    });
  });

  it('prefers the ProxyBypassList setting over NO_PROXY for a proxy from the environment', () => {
    expect(decideProxy({ proxyBypassList: ['10.0.0.0/8'] }, { HTTPS_PROXY: 'http://p:1', NO_PROXY: '*' }).proxyEnv.NO_PROXY).toBe('10.0.0.0-10.255.255.255');
  });

  it('refuses a proxy that is not http(s), naming where it came from, without its password', () => {
    expect(() => decideProxy({ proxyUrl: 'socks5://u:secret@p:1080' }, {})).toThrow(
      expect.objectContaining({ code: 'proxy-invalid', message: 'The proxy "socks5://u:***@p:1080" (from the ProxyUrl setting) is not an http:// or https:// proxy; use http://host:port.' }) as Error,
    );
    expect(() => decideProxy({}, { HTTPS_PROXY: 'http://[bad' })).toThrow(expect.objectContaining({ code: 'proxy-invalid', message: expect.stringContaining('(from HTTPS_PROXY)') as unknown }) as Error);
  });

  it('reports bypass entries it cannot express and keeps the others', () => {
    const decision = decideProxy({ proxyUrl: 'http://p:1', proxyBypassList: ['fd00::/8', 'corp.example'] }, {});
    expect(decision.proxyEnv.NO_PROXY).toBe('corp.example,.corp.example');
    expect(decision.problems).toEqual(['the proxy bypass entry "fd00::/8" is not supported (only IPv4 CIDR ranges such as 10.0.0.0/8)']);
  });
});

describe('translateBypassEntry (NO_PROXY syntax → what Node matches)', () => {
  it.each([
    ['*', ['*']],
    ['Example.COM', ['example.com', '.example.com']],
    ['.internal', ['.internal']],
    ['*.corp.example', ['*.corp.example']],
    ['my-host.corp', ['my-host.corp', '.my-host.corp']],
    ['example.com:8443', ['example.com:8443']],
    ['192.168.1.7', ['192.168.1.7']],
    ['10.1.2.3/8', ['10.0.0.0-10.255.255.255']],
    ['192.168.1.0/24', ['192.168.1.0-192.168.1.255']],
    ['127.0.0.1/32', ['127.0.0.1-127.0.0.1']],
    ['0.0.0.0/0', ['0.0.0.0-255.255.255.255']],
    ['10.0.0.1-10.0.0.9', ['10.0.0.1-10.0.0.9']],
    [' ', []],
  ])('%s', (entry, expected) => {
    expect(translateBypassEntry(entry)).toEqual({ entries: expected });
  });

  it('refuses an IPv6 or out-of-range CIDR', () => {
    expect(translateBypassEntry('fd00::/8')).toHaveProperty('problem');
    expect(translateBypassEntry('10.0.0.0/33')).toHaveProperty('problem');
  });
});

describe('proxy URLs', () => {
  it('reads host:port as an http proxy, as curl does', () => {
    expect(normalizeProxyUrl('proxy.corp:3128', 'HTTPS_PROXY')).toBe('http://proxy.corp:3128');
    expect(normalizeProxyUrl('https://proxy.corp/', 'HTTPS_PROXY')).toBe('https://proxy.corp');
  });

  it('hides the password in messages', () => {
    expect(redactProxy('http://ada:s3cret@proxy:3128')).toBe('http://ada:***@proxy:3128');
    expect(redactProxy('http://proxy:3128')).toBe('http://proxy:3128');
  });
});

describe('networkSettingsOf', () => {
  it('takes the three network settings from resolved settings and leaves unset ones out', () => {
    expect(networkSettingsOf({
      proxyUrl: { value: 'http://p:1' },
      proxyBypassList: { value: ['a.example', 'b.example'] },
      extraCaCertificates: { value: null },
      bucket: { value: 'b' },
    })).toEqual({ proxyUrl: 'http://p:1', proxyBypassList: ['a.example', 'b.example'] });
    expect(networkSettingsOf({})).toEqual({});
  });
});
