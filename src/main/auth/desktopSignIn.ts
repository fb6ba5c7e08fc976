/**
 * The desktop app's sign-in pieces for one account, wired to Electron: the
 * safeStorage token vault in userData, the login window surface, and the
 * LoginWindowFlow that holds every decision. For the composition root
 * (composition.ts) to call once the app runs in cognito mode; call it after
 * `app.whenReady()` (safeStorage and sessions need the ready app).
 */
import { app, safeStorage, type BrowserWindow } from 'electron';
import type { CognitoSettings } from '../../shared/StratusConfig.js';
import { ElectronLoginSurface } from './ElectronLoginSurface.js';
import { LoginWindowFlow } from './LoginWindowFlow.js';
import { SafeStorageTokenVault, type SafeStoragePort } from './SafeStorageTokenVault.js';

/** The user's sign-in settings, read each time they matter (they can change while the app runs). */
export interface SignInSettings {
  /** Keep the refresh token on disk even when no keyring can encrypt it. @default false */
  allowPlaintextTokenStorage(): boolean;
  /** Sign in in the system browser instead of the app's login window. @default false */
  useSystemBrowser(): boolean;
}

export interface DesktopSignIn {
  readonly vault: SafeStorageTokenVault;
  readonly surface: ElectronLoginSurface;
  readonly flow: LoginWindowFlow;
}

export function createDesktopSignIn(cognito: CognitoSettings, settings: SignInSettings, parent?: () => BrowserWindow | undefined): DesktopSignIn {
  // Electron's safeStorage is the port's production implementation (checked here by the type).
  const port: SafeStoragePort = safeStorage;
  const vault = new SafeStorageTokenVault({
    safeStorage: port,
    userDataDir: app.getPath('userData'),
    issuer: cognito.issuer,
    clientId: cognito.clientId,
    allowPlaintextTokenStorage: () => settings.allowPlaintextTokenStorage(),
  });
  const surface = new ElectronLoginSurface(parent === undefined ? {} : { parent });
  const flow = new LoginWindowFlow({
    surface,
    redirectUri: cognito.redirectUri,
    ...(cognito.hostedUiBase === undefined ? {} : { hostedUiBase: cognito.hostedUiBase }),
    useSystemBrowser: () => settings.useSystemBrowser(),
  });
  return { vault, surface, flow };
}
