/**
 * Which proxy a connection uses (issue 9), from the settings (the ProxyUrl and
 * ProxyBypassList policies) and the environment (HTTPS_PROXY, HTTP_PROXY,
 * NO_PROXY, lower case first, as curl and Node read them):
 *
 *   proxyUrl set     → that proxy for http and https, bypassed only for the
 *                      hosts in proxyBypassList (an organization's proxy is not
 *                      undone by a NO_PROXY a user happens to have);
 *   proxyUrl not set → https_proxy/HTTPS_PROXY for https, http_proxy/HTTP_PROXY
 *                      for http, bypassed for proxyBypassList if set, else NO_PROXY.
 *
 * Emits a `ProxyEnv` in the shape Node's built-in proxy support (http.Agent's
 * `proxyEnv`, Node ≥ 24.5) reads. The bypass list is NO_PROXY syntax; Node
 * matches `*`, `host`, `host:port`, `.domain`, `*.domain` and IPv4 ranges
 * (`a.b.c.d-e.f.g.h`). Two common forms it lacks are translated here: a bare
 * `example.com` also covers its subdomains (as curl does), and an IPv4 CIDR
 * (`10.0.0.0/8`) becomes the equivalent range. An IPv6 CIDR cannot be
 * expressed and is reported as a problem.
 */
import { isIPv4 } from 'node:net';
import { StratusError } from '../../core/StratusError.js';

/** What the organization or user configured; absent = not set. */
export interface NetworkSettings {
  /** `http://host:port` (or https://); user:password in the URL is sent as Proxy-Authorization. */
  readonly proxyUrl?: string;
  /** NO_PROXY syntax, one entry each. */
  readonly proxyBypassList?: readonly string[];
  /** Path of a PEM file with CA certificates to trust besides the system's. */
  readonly extraCaCertificates?: string;
}

/** The environment variables Node's built-in proxy support reads (only these keys are set). */
export interface ProxyEnv {
  readonly HTTPS_PROXY?: string;
  readonly HTTP_PROXY?: string;
  readonly NO_PROXY?: string;
}

export interface ProxyDecision {
  /** For `new http(s).Agent({ proxyEnv })`; empty when no proxy is configured. */
  readonly proxyEnv: ProxyEnv;
  /** Where the proxy came from, for logs and messages: "the ProxyUrl setting", "HTTPS_PROXY". */
  readonly source?: string;
  /** Bypass entries that could not be used (one line each). */
  readonly problems: readonly string[];
}

export type Environment = Readonly<Record<string, string | undefined>>;

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/** The first variable set, lower case first (curl's and Node's order). */
function fromEnv(env: Environment, name: string): { value: string; name: string } | undefined {
  for (const key of [name.toLowerCase(), name.toUpperCase()]) {
    const value = nonEmpty(env[key]);
    if (value !== undefined) return { value, name: key };
  }
  return undefined;
}

/**
 * A proxy URL as Node needs it: `proxy:3128` means `http://proxy:3128` (as curl
 * reads it); only http:// and https:// proxies exist here (no SOCKS).
 */
export function normalizeProxyUrl(raw: string, source: string): string {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch (err) {
    throw new StratusError('proxy-invalid', `The proxy "${redactProxy(raw)}" (from ${source}) is not a URL; use http://host:port.`, { severity: 'fatal', cause: err });
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw new StratusError('proxy-invalid', `The proxy "${redactProxy(raw)}" (from ${source}) is not an http:// or https:// proxy; use http://host:port.`, { severity: 'fatal' });
  }
  return url.href.replace(/\/$/, '');
}

/** The proxy URL without its password, for messages and logs. */
export function redactProxy(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/**
 * One NO_PROXY entry in the forms Node matches. Returns the entries to use
 * (one entry can become two) or a problem line.
 */
export function translateBypassEntry(raw: string): { entries: string[] } | { problem: string } {
  const entry = raw.trim().toLowerCase();
  if (entry === '') return { entries: [] };
  const cidr = /^([^/]+)\/(\d{1,3})$/.exec(entry);
  if (cidr !== null) {
    const [, address = '', bits = ''] = cidr;
    const prefix = Number(bits);
    if (!isIPv4(address) || prefix > 32) return { problem: `the proxy bypass entry "${raw}" is not supported (only IPv4 CIDR ranges such as 10.0.0.0/8)` };
    const size = 2 ** (32 - prefix);
    const start = Math.floor(ipv4ToInt(address) / size) * size;
    return { entries: [`${intToIpv4(start)}-${intToIpv4(start + size - 1)}`] };
  }
  // A bare host name covers its subdomains too (curl's reading); Node matches it exactly, so add ".name". Not for IPs and IP ranges.
  if (/^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/.test(entry) && !/^[\d.-]+$/.test(entry)) return { entries: [entry, `.${entry}`] };
  return { entries: [entry] };
}

function bypassList(entries: readonly string[]): { noProxy: string; problems: string[] } {
  const out: string[] = [];
  const problems: string[] = [];
  for (const raw of entries) {
    const translated = translateBypassEntry(raw);
    if ('problem' in translated) problems.push(translated.problem);
    else out.push(...translated.entries);
  }
  return { noProxy: [...new Set(out)].join(','), problems };
}

export function decideProxy(settings: NetworkSettings, env: Environment): ProxyDecision {
  const configured = nonEmpty(settings.proxyUrl);
  if (configured !== undefined) {
    const url = normalizeProxyUrl(configured, 'the ProxyUrl setting');
    const { noProxy, problems } = bypassList(settings.proxyBypassList ?? []);
    return { proxyEnv: { HTTPS_PROXY: url, HTTP_PROXY: url, ...(noProxy === '' ? {} : { NO_PROXY: noProxy }) }, source: 'the ProxyUrl setting', problems };
  }
  const https = fromEnv(env, 'HTTPS_PROXY');
  const http = fromEnv(env, 'HTTP_PROXY');
  if (https === undefined && http === undefined) return { proxyEnv: {}, problems: [] };
  const noProxyEnv = fromEnv(env, 'NO_PROXY');
  const entries = settings.proxyBypassList ?? (noProxyEnv === undefined ? [] : noProxyEnv.value.split(','));
  const { noProxy, problems } = bypassList(entries);
  return {
    proxyEnv: {
      ...(https === undefined ? {} : { HTTPS_PROXY: normalizeProxyUrl(https.value, https.name) }),
      ...(http === undefined ? {} : { HTTP_PROXY: normalizeProxyUrl(http.value, http.name) }),
      ...(noProxy === '' ? {} : { NO_PROXY: noProxy }),
    },
    source: (https ?? http)?.name ?? 'the environment',
    problems,
  };
}
