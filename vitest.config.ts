import { defineConfig } from 'vitest/config';

// One runner for every suite: unit and integration (plain Node), the renderer in real
// Chromium (test/renderer), and the Electron end-to-end specs (test/e2e), which skip
// with a printed reason when no Electron binary is present.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/e2e/**/*.spec.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: servers and browsers started by suites share them.
    maxWorkers: 2,
    // The real-S3 lane: one Ceph RGW per run when installed and a selected file uses it.
    globalSetup: ['test/support/cephGlobalSetup.ts'],
  },
});
