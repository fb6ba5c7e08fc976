/**
 * Koa middleware that bends oidc-provider's URLs and responses into Cognito's shape:
 *
 * - discovery lives under the issuer path (`/<region>_<id>/.well-known/openid-configuration`),
 *   as with `cognito-idp.<region>.amazonaws.com/<poolId>`, not at the origin root;
 * - a refresh-token grant answers without `refresh_token` when rotation is off, as a
 *   Cognito app client without refresh-token rotation does (the client keeps its token).
 */
import type { Middleware } from 'oidc-provider';

export interface CognitoShapeSettings {
  readonly userPoolId: string;
  readonly tokenPath: string;
  readonly rotateRefreshTokens: boolean;
}

const ROOT_DISCOVERY = new Set(['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function cognitoShape(settings: CognitoShapeSettings): Middleware {
  const poolDiscovery = `/${settings.userPoolId}/.well-known/openid-configuration`;
  return async (ctx, next) => {
    if (ROOT_DISCOVERY.has(ctx.path)) {
      ctx.status = 404;
      ctx.body = { error: 'not_found', error_description: `discovery is at ${poolDiscovery}` };
      return;
    }
    // oidc-provider serves discovery at its mount root; the issuer path is ours to map.
    if (ctx.path === poolDiscovery) ctx.path = '/.well-known/openid-configuration';
    await next();
    if (
      !settings.rotateRefreshTokens &&
      ctx.path === settings.tokenPath &&
      ctx.oidc?.params?.['grant_type'] === 'refresh_token' &&
      isRecord(ctx.body)
    ) {
      delete ctx.body['refresh_token'];
    }
  };
}
