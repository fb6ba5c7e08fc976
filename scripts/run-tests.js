#!/usr/bin/env node
// Runs every vitest suite once and ends with one plain summary line,
// "N passed, N failed, N skipped", which CI reads (vitest's own summary is not
// a format CI recognises). Extra arguments go to vitest (e.g. a test path).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const report = join(root, 'test-results', 'vitest.json');
mkdirSync(join(root, 'test-results'), { recursive: true });
rmSync(report, { force: true });

const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const run = spawnSync(
  process.execPath,
  [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit' },
);

let summary;
try {
  summary = JSON.parse(readFileSync(report, 'utf8'));
} catch {
  console.error('run-tests: vitest wrote no JSON report; treating the run as failed.');
  process.exit(run.status === 0 ? 1 : (run.status ?? 1));
}
const skipped = summary.numPendingTests + summary.numTodoTests;
console.log(`${summary.numPassedTests} passed, ${summary.numFailedTests} failed, ${skipped} skipped`);
if (summary.numTotalTests === 0) {
  console.error('run-tests: no tests ran.');
  process.exit(1);
}
process.exit(run.status ?? 1);
