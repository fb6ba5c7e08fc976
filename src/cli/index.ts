/**
 * Process entry of the `stratus` CLI (bin/stratus.js loads the compiled file):
 * connects runCli to stdout/stderr, the environment, the working directory,
 * Ctrl-C and the exit code. No logic lives here.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runCli } from './runCli.js';

/** The package version, found by walking up to Stratus' own package.json. */
function packageVersion(): string {
  for (let dir = import.meta.dirname; dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'stratus' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // No package.json at this level: keep walking up.
    }
  }
  return '0.0.0-unknown';
}

// The first Ctrl-C stops the run cleanly (transfers aborted, journal closed, lock released);
// `once` restores Node's default, so a second Ctrl-C ends the process at once.
const interrupt = new AbortController();
process.once('SIGINT', () => interrupt.abort());
// SIGTERM (a service manager stopping `stratus watch`) ends as cleanly as Ctrl-C.
process.once('SIGTERM', () => interrupt.abort());

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  version: packageVersion(),
  env: process.env,
  cwd: process.cwd(),
  signal: interrupt.signal,
});
