/**
 * Opens a URL in the system browser (RFC 8252 §4: native apps use the
 * external user-agent, https://www.rfc-editor.org/rfc/rfc8252#section-4)
 * without waiting for it: the opener is spawned detached and any failure is
 * ignored, because the CLI always prints the URL too.
 */
import { spawn } from 'node:child_process';

/** The opener command for a platform: xdg-open, open, or the Windows URL handler. */
export function openerFor(platform: NodeJS.Platform, url: string): { command: string; args: string[] } {
  if (platform === 'darwin') return { command: 'open', args: [url] };
  // rundll32's URL handler takes the URL as one argument; `cmd /c start` would need every "&" escaped.
  if (platform === 'win32') return { command: 'rundll32', args: ['url.dll,FileProtocolHandler', url] };
  return { command: 'xdg-open', args: [url] };
}

export function openBrowser(url: string, platform: NodeJS.Platform = process.platform): void {
  const { command, args } = openerFor(platform, url);
  try {
    const child = spawn(command, args, { detached: true, stdio: 'ignore' });
    // No opener installed (a server, a container): the printed URL is the way in.
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // spawn can throw synchronously on some platforms for a missing binary; the URL is printed anyway.
  }
}
