// Starts the project's sandbox S3 server (built by `tsc -b` under out/tsc/sandbox) as a
// child process, reads its one-line JSON from stdout, and stops it by its pid.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * `options.verbose` starts it with `--verbose` (one stderr line per S3 request, as
 * "[s3] METHOD /bucket/key STATUS …ms id" when the response is finished) and hands every
 * stderr line to `options.onLine` as it arrives, besides writing it to `logFile`.
 * @param {{ verbose?: boolean, onLine?: (line: string) => void }} [options]
 * @returns {Promise<{ info: any, pid: number, stop: () => Promise<void> }>}
 */
export async function startSandbox(repoRoot, dataDir, logFile, options = {}) {
  const main = join(repoRoot, 'out/tsc/sandbox/main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: build first ("npx tsc -b" or "npm run build")`);
  const child = spawn(process.execPath, [main, '--json', '--data-dir', dataDir, ...(options.verbose ? ['--verbose'] : [])], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logFile);
  child.stderr.pipe(log);
  if (options.onLine !== undefined) createInterface({ input: child.stderr }).on('line', options.onLine);
  let exited = false;
  const exit = new Promise((resolve) => child.on('exit', (code, signal) => {
    exited = true;
    resolve({ code, signal });
  }));

  const info = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the sandbox did not print its JSON line within 20 s')), 20_000);
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line));
      } catch (err) {
        reject(new Error(`the sandbox printed something other than JSON: ${line.slice(0, 200)}`, { cause: err }));
      }
    });
    exit.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the sandbox exited before it was ready (code ${code}, signal ${signal}); see ${logFile}`));
    });
  });

  const stop = async () => {
    if (exited) return;
    child.kill('SIGINT');
    const timeout = new Promise((resolve) => setTimeout(() => resolve('timeout'), 10_000).unref());
    if ((await Promise.race([exit, timeout])) === 'timeout' && !exited) {
      child.kill('SIGKILL');
      await exit;
    }
  };
  return { info, pid: child.pid, stop, stopSync: () => { if (!exited) child.kill('SIGKILL'); } };
}
