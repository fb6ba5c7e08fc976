import type { StratusApi } from '../shared/StratusApi.js';

declare global {
  interface Window {
    /**
     * The one bridge the preload exposes in the app; see src/shared/StratusApi.ts.
     * Absent on the status page of `stratus watch --ui`, which talks over a WebSocket instead.
     */
    readonly stratus: StratusApi | undefined;
  }
}
