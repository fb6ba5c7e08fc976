/**
 * The hosted UI's own pages, as Koa middleware in front of oidc-provider's router:
 *
 * - `GET|POST /login/<uid>`: the sign-in form for an oidc-provider interaction
 *   (login prompt), and silent consent for this first-party client (consent prompt),
 *   as Cognito's hosted UI never shows a consent screen for user pool scopes.
 * - `GET /logout?client_id=…&logout_uri=…`: Cognito's logout, which ends the hosted
 *   UI session (not the refresh token) and redirects to a registered sign-out URL;
 *   the `redirect_uri`+`response_type` variant redirects to sign-in again.
 */
import type { Grant, InteractionDetails, KoaContext, Middleware, Provider } from 'oidc-provider';
import { PAGE_HEADERS, renderErrorPage, renderSignInPage, SIGN_IN_ERROR } from './hostedUiPages.js';
import type { SandboxUserDirectory } from './SandboxUserDirectory.js';

export interface HostedUiSettings {
  readonly provider: Provider;
  readonly users: SandboxUserDirectory;
  readonly clientId: string;
  readonly appName: string;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
}

const FORM_LIMIT_BYTES = 16 * 1024;

function sendPage(ctx: KoaContext, status: number, html: string): void {
  for (const [name, value] of Object.entries(PAGE_HEADERS)) ctx.set(name, value);
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = html;
}

function redirect(ctx: KoaContext, location: string): void {
  // 303 so the browser follows a POST with a GET (https://www.rfc-editor.org/rfc/rfc9110#section-15.4.4).
  ctx.status = 303;
  ctx.redirect(location);
}

async function readForm(ctx: KoaContext): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > FORM_LIMIT_BYTES) throw new Error('form too large');
    chunks.push(buf);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function hostedUiRoutes(settings: HostedUiSettings): Middleware {
  const { provider } = settings;

  async function loadInteraction(ctx: KoaContext, uid: string): Promise<InteractionDetails | undefined> {
    try {
      const details = await provider.interactionDetails(ctx.req, ctx.res);
      // The interaction cookie is scoped to /login/<uid>, so a mismatch means a stale page.
      if (details.uid === uid) return details;
    } catch {
      // Cookie missing or interaction expired: fall through to the error page.
    }
    sendPage(
      ctx,
      400,
      renderErrorPage(
        'Sign-in session expired',
        'This sign-in page is no longer valid. Go back to the app and start signing in again.',
      ),
    );
    return undefined;
  }

  /** Grants exactly what the consent prompt reports missing; nothing is shown to the user. */
  async function autoConsent(ctx: KoaContext, details: InteractionDetails): Promise<void> {
    const accountId = details.session?.accountId;
    const clientId = details.params['client_id'];
    if (!accountId || typeof clientId !== 'string') throw new Error('consent without a signed-in session');
    // Always a new grant: one per sign-in, as Cognito starts a new token family (origin_jti) per sign-in
    // (see loadExistingGrant in userPoolConfiguration.ts).
    const grant: Grant = new provider.Grant({ accountId, clientId });
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details;
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missingResourceScopes ?? {})) {
      grant.addResourceScope(resource, scopes.join(' '));
    }
    const grantId = await grant.save();
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, { consent: { grantId } });
    redirect(ctx, returnTo);
  }

  async function showLogin(ctx: KoaContext, uid: string): Promise<void> {
    const details = await loadInteraction(ctx, uid);
    if (!details) return;
    if (details.prompt.name === 'consent') {
      await autoConsent(ctx, details);
      return;
    }
    sendPage(ctx, 200, renderSignInPage({ action: `/login/${uid}`, appName: settings.appName }));
  }

  async function submitLogin(ctx: KoaContext, uid: string): Promise<void> {
    const details = await loadInteraction(ctx, uid);
    if (!details) return;
    if (details.prompt.name !== 'login') {
      redirect(ctx, `/login/${uid}`);
      return;
    }
    const form = await readForm(ctx);
    const username = form.get('username') ?? '';
    const result = settings.users.signIn(username, form.get('password') ?? '');
    if (!result.ok) {
      const page = renderSignInPage({
        action: `/login/${uid}`,
        appName: settings.appName,
        username,
        error: SIGN_IN_ERROR,
      });
      sendPage(ctx, 400, page);
      return;
    }
    const returnTo = await provider.interactionResult(
      ctx.req,
      ctx.res,
      { login: { accountId: result.user.sub, amr: ['pwd'] } },
      { mergeWithLastSubmission: false },
    );
    redirect(ctx, returnTo);
  }

  async function endSession(ctx: KoaContext): Promise<void> {
    const session = await provider.Session.get(ctx);
    if (session.accountId) await session.destroy();
    ctx.cookies.set(provider.cookieName('session'), null, { path: '/', httpOnly: true, sameSite: 'lax' });
  }

  async function logout(ctx: KoaContext): Promise<void> {
    const clientId = single(ctx.query['client_id']);
    const logoutUri = single(ctx.query['logout_uri']);
    const redirectUri = single(ctx.query['redirect_uri']);
    if (clientId !== settings.clientId) {
      sendPage(ctx, 400, renderErrorPage('Sign-out failed', 'The client_id parameter is missing or unknown.'));
      return;
    }
    if (logoutUri !== undefined) {
      // Sign-out URLs match exactly, as Cognito's "Allowed sign-out URLs" do.
      if (!settings.postLogoutRedirectUris.includes(logoutUri)) {
        sendPage(ctx, 400, renderErrorPage('Sign-out failed', 'The logout_uri is not a registered sign-out URL.'));
        return;
      }
      await endSession(ctx);
      redirect(ctx, logoutUri);
      return;
    }
    if (redirectUri !== undefined && settings.redirectUris.includes(redirectUri)) {
      // Cognito's second form: sign out, then show the sign-in page for a new authorization.
      await endSession(ctx);
      const params = new URLSearchParams(ctx.querystring);
      redirect(ctx, `/oauth2/authorize?${params.toString()}`);
      return;
    }
    sendPage(ctx, 400, renderErrorPage('Sign-out failed', 'Provide a registered logout_uri (or redirect_uri).'));
  }

  return async (ctx, next) => {
    const login = /^\/login\/([A-Za-z0-9_-]+)$/.exec(ctx.path);
    if (login?.[1] && ctx.method === 'GET') return showLogin(ctx, login[1]);
    if (login?.[1] && ctx.method === 'POST') return submitLogin(ctx, login[1]);
    if (ctx.path === '/logout' && ctx.method === 'GET') return logout(ctx);
    return next();
  };
}
