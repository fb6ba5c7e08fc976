/**
 * Minimal type declarations for `oidc-provider` 9.x, which ships no types and has no
 * `@types` package installed. Only the surface the sandbox user pool touches is typed;
 * the configuration object stays loose because its shape is validated at runtime by
 * oidc-provider itself. Nothing here is exported from the sandbox's public API.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  /** The Koa context oidc-provider hands to middleware added with `provider.use`. */
  export interface KoaContext {
    readonly method: string;
    path: string;
    readonly url: string;
    readonly querystring: string;
    readonly query: Record<string, string | string[] | undefined>;
    readonly req: IncomingMessage;
    readonly res: ServerResponse;
    status: number;
    body: unknown;
    type: string;
    set(field: string, value: string): void;
    get(field: string): string;
    redirect(url: string): void;
    readonly cookies: {
      get(name: string, options?: Record<string, unknown>): string | undefined;
      set(name: string, value: string | null, options?: Record<string, unknown>): void;
    };
    /** Present once oidc-provider's router matched one of its own routes. */
    readonly oidc?: OidcContext;
  }

  export interface OidcContext {
    readonly route?: string;
    readonly provider: Provider;
    /** The interaction result being resumed, if any. */
    readonly result?: { readonly consent?: { readonly grantId?: string } };
    readonly params?: Record<string, unknown>;
    readonly entities: {
      readonly AuthorizationCode?: { readonly authTime?: number };
      readonly RefreshToken?: { readonly authTime?: number };
    };
  }

  export type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

  export interface InteractionDetails {
    readonly uid: string;
    readonly prompt: {
      readonly name: string;
      readonly reasons: string[];
      readonly details: {
        readonly missingOIDCScope?: string[];
        readonly missingOIDCClaims?: string[];
        readonly missingResourceScopes?: Record<string, string[]>;
      };
    };
    readonly params: Record<string, unknown>;
    readonly session?: { readonly accountId?: string };
    readonly grantId?: string;
  }

  export interface Grant {
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }

  export interface GrantStatic {
    new (properties: { accountId: string; clientId: string }): Grant;
    find(id: string): Promise<Grant | undefined>;
  }

  export interface Session {
    readonly accountId?: string;
    destroy(): Promise<void>;
  }

  export class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    readonly issuer: string;
    readonly Grant: GrantStatic;
    readonly Session: { get(ctx: KoaContext): Promise<Session> };
    use(middleware: Middleware): this;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    cookieName(type: 'session' | 'interaction' | 'resume'): string;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionResult(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<string>;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  export const errors: {
    InvalidTarget: new (description?: string) => Error;
  };

  export default Provider;
}
