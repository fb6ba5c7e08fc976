import type { StratusApi } from '../shared/StratusApi.js';

declare global {
  interface Window {
    /** The one bridge the preload exposes; see src/shared/StratusApi.ts. */
    readonly stratus: StratusApi;
  }
}
