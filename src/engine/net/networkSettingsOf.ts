/**
 * The network settings (ProxyUrl, ProxyBypassList, ExtraCaCertificates) out
 * of resolved settings (src/engine/policy/resolveSettings.ts), keyed by their
 * camelCase names as `stratus config --json` prints them. Values of the wrong
 * type are left out (the policy readers already reported them).
 */
import type { NetworkSettings } from './proxySettings.js';

type Resolved = Readonly<Record<string, { readonly value: unknown } | undefined>>;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

export function networkSettingsOf(settings: Resolved): NetworkSettings {
  const proxyUrl = text(settings['proxyUrl']?.value);
  const bypass = settings['proxyBypassList']?.value;
  const extraCaCertificates = text(settings['extraCaCertificates']?.value);
  return {
    ...(proxyUrl === undefined ? {} : { proxyUrl }),
    ...(Array.isArray(bypass) ? { proxyBypassList: bypass.filter((entry): entry is string => typeof entry === 'string') } : {}),
    ...(extraCaCertificates === undefined ? {} : { extraCaCertificates }),
  };
}
