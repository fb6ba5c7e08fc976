/**
 * Bundles the three Electron targets. Why electron-vite: one config builds main,
 * preload and renderer with the right module formats for each (the sandboxed
 * preload must be CommonJS even though the package is ESM), externalises npm
 * dependencies for main, and builds in about a second. The Node-side CLI and the
 * sandbox are not bundled: `tsc -b` emits them, because they run from
 * node_modules like any Node program.
 */
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      // The engine process is a second entry: main starts it as a utilityProcess (src/main/utilityEngineChild.ts).
      rollupOptions: { input: { index: resolve('src/main/index.ts'), engineProcess: resolve('src/engine/host/engineProcessMain.ts') } },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed renderer can only load a CommonJS preload (TOOLCHAIN-NOTES).
      rollupOptions: {
        input: { index: resolve('src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'src/renderer',
    // Relative asset URLs: the page is served from the app:// protocol in Electron
    // and from a plain loopback server in the Chromium tests.
    base: './',
    build: {
      outDir: 'out/renderer',
      emptyOutDir: true,
      // No inline scripts or data: URLs, so the strict CSP holds without exceptions.
      assetsInlineLimit: 0,
      modulePreload: { polyfill: false },
      rollupOptions: { input: { index: resolve('src/renderer/index.html') } },
    },
  },
});
