/**
 * endpointNames: how S3RemoteStore names its server — a stable identity for
 * the capability cache key, and a host label for messages. Both are read
 * from the S3 client's resolved configuration.
 */
import type { S3Client } from '@aws-sdk/client-s3';

/** `<scheme>://<host>[:port][/path]` of the endpoint (`https://s3.<region>.amazonaws.com` for AWS): the server's identity in the capability cache. */
export async function serverIdOf(client: S3Client): Promise<string> {
  const endpoint = await client.config.endpoint?.();
  if (endpoint === undefined) return `https://s3.${await client.config.region()}.amazonaws.com`;
  const scheme = endpoint.protocol.replace(/:$/, '');
  const path = endpoint.path === '/' || endpoint.path === '' ? '' : endpoint.path.replace(/\/$/, '');
  return `${scheme}://${endpoint.hostname}${endpoint.port === undefined ? '' : `:${endpoint.port}`}${path}`;
}

/** Host[:port] of the endpoint, for "can't reach" messages (never a URL with a query: those can hold signatures). */
export async function hostLabelOf(client: S3Client): Promise<string> {
  try {
    const endpoint = await client.config.endpoint?.();
    if (endpoint !== undefined) return `${endpoint.hostname}${endpoint.port === undefined ? '' : `:${endpoint.port}`}`;
    return `s3.${await client.config.region()}.amazonaws.com`;
  } catch {
    return 'the configured endpoint';
  }
}
