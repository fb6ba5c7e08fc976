/**
 * The hosted UI's HTML: the sign-in page and the error page. Small, static, no
 * scripts; inputs are labelled and errors are announced (role="alert") so the page
 * works with screen readers and with Playwright's label/role locators.
 */

/** Cognito shows one text for both causes, so the page does not reveal which users exist. */
export const SIGN_IN_ERROR = 'Incorrect username or password.';

const STYLE = `
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; }
  body { margin: 0; display: grid; place-items: center; min-height: 100vh; background: Canvas; }
  main { width: min(22rem, 90vw); padding: 2rem; border: 1px solid GrayText; border-radius: 8px; }
  h1 { font-size: 1.25rem; margin: 0 0 0.25rem; }
  p.hint { margin: 0 0 1.5rem; color: GrayText; font-size: 0.9rem; }
  label { display: block; font-weight: 600; margin: 1rem 0 0.25rem; }
  input { box-sizing: border-box; width: 100%; padding: 0.5rem; font: inherit; }
  button { margin-top: 1.5rem; width: 100%; padding: 0.6rem; font: inherit; font-weight: 600;
           border: 0; border-radius: 4px; background: #0b5cad; color: #fff; cursor: pointer; }
  button:focus-visible, input:focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
  .error { padding: 0.6rem; border-radius: 4px; background: #fde8e8; color: #8a1c1c; }
`;

/** Headers for every hosted UI page: no scripts at all, not frameable, not cached. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

export interface SignInPageModel {
  /** Form target, e.g. `/login/<interaction uid>`. */
  readonly action: string;
  readonly appName: string;
  readonly username?: string;
  readonly error?: string;
}

export function renderSignInPage(model: SignInPageModel): string {
  const error = model.error
    ? `<p class="error" id="error" role="alert">${escapeHtml(model.error)}</p>`
    : '';
  return page(
    'Sign in',
    `<h1>Sign in</h1>
<p class="hint">to continue to ${escapeHtml(model.appName)}</p>
${error}
<form method="post" action="${escapeHtml(model.action)}" novalidate>
  <label for="username">Username</label>
  <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none"
         spellcheck="false" required value="${escapeHtml(model.username ?? '')}"${model.username ? '' : ' autofocus'}
         ${model.error ? 'aria-describedby="error"' : ''}>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required
         ${model.username ? 'autofocus' : ''}>
  <button type="submit">Sign in</button>
</form>`,
  );
}

export function renderErrorPage(title: string, message: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1>\n<p class="error" role="alert">${escapeHtml(message)}</p>`);
}
