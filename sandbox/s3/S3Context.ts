/**
 * S3Context: everything one authenticated S3 request carries through the
 * handlers (parsed bucket/key/query, verified signer, services), and the small
 * helpers every handler answers with: XML bodies, empty bodies, error XML and
 * S3's date formats.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccessPolicy } from './AccessPolicy.js';
import type { FaultDecision } from './FaultInjector.js';
import type { MultipartStore } from './MultipartStore.js';
import type { ObjectStore } from './ObjectStore.js';
import type { S3Error } from './S3Error.js';
import type { VerifiedRequest } from './SigV4Verifier.js';
import { xml, type XmlObject } from './Xml.js';

export interface S3Services {
  readonly store: ObjectStore;
  readonly multipart: MultipartStore;
  readonly policy: AccessPolicy;
  readonly region: string;
  readonly now: () => number;
}

export interface S3Context {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly requestId: string;
  readonly bucket: string | undefined;
  readonly key: string | undefined;
  /** Decoded query parameters (first value wins), including valueless ones such as `uploads`. */
  readonly query: ReadonlyMap<string, string>;
  readonly auth: VerifiedRequest;
  readonly fault: FaultDecision;
  readonly services: S3Services;
}

/** A request header as one string (Node joins repeated ones), or undefined. */
export function header(ctx: { req: IncomingMessage }, name: string): string | undefined {
  const value = ctx.req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

export function newRequestId(): string {
  return randomBytes(8).toString('hex').toUpperCase();
}

/** Last-Modified and friends: RFC 7231 IMF-fixdate. */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/** XML timestamps, e.g. `2009-10-12T17:50:30.000Z`. */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}

export function sendXml(ctx: S3Context, status: number, root: string, body: XmlObject, headers: Record<string, string> = {}): void {
  const payload = Buffer.from(xml(root, body), 'utf8');
  ctx.res.writeHead(status, { ...headers, 'Content-Type': 'application/xml', 'Content-Length': String(payload.length) });
  ctx.res.end(payload);
}

export function sendEmpty(ctx: S3Context, status: number, headers: Record<string, string> = {}): void {
  ctx.res.writeHead(status, { ...headers, 'Content-Length': '0' });
  ctx.res.end();
}

/** Writes AWS's error document; HEAD and 304 answers carry no body, as on AWS. */
export function sendError(res: ServerResponse, err: S3Error, opts: { requestId: string; resource: string; head: boolean }): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = { ...err.headers };
  if (opts.head || err.status === 304) {
    res.writeHead(err.status, headers);
    res.end();
    return;
  }
  const body = Buffer.from(
    xml('Error', {
      Code: err.code,
      Message: err.message,
      ...err.details,
      Resource: opts.resource,
      RequestId: opts.requestId,
      HostId: randomBytes(24).toString('base64'),
    }, false),
    'utf8',
  );
  res.writeHead(err.status, { ...headers, 'Content-Type': 'application/xml', 'Content-Length': String(body.length) });
  res.end(body);
}
