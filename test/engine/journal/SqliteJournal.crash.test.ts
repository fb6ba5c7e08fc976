/**
 * Crash safety of the journal (scenario 33, "kill -9 at any point"): a child
 * process writes through the real, compiled SqliteJournal and reports each
 * write once its promise resolved; it is then killed with SIGKILL. Reopening
 * must succeed and show every reported write, and no transaction in part.
 *
 * The child imports the tsc output because plain Node cannot resolve the
 * sources' `.js` import specifiers to `.ts` files; run `npx tsc -b` first.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteJournal } from '../../../src/engine/journal/SqliteJournal.js';

const COMPILED = fileURLToPath(new URL('../../../out/tsc/src/engine/journal/SqliteJournal.js', import.meta.url));
const BATCH_SIZE = 10;
const HASH_SET_SIZE = 50;

/*
 * The child: a write loop mixing the three kinds of write the engine makes.
 * After each resolved write it prints one line with a synchronous write to
 * fd 1, so the line has left the process before anything can kill it:
 *   P <path>        putSynced(<path>) resolved
 *   B <prefix>      batch of BATCH_SIZE rows <prefix>/0..9 resolved
 *   H <generation>  replaceHashes of HASH_SET_SIZE rows, all with md5 = generation
 * With a kill-after count it SIGKILLs itself right after that many writes;
 * without one it writes until the parent kills it.
 */
const CHILD_SCRIPT = `
import { writeSync } from 'node:fs';
const [modulePath, file, killAfterText] = process.argv.slice(2);
const { SqliteJournal } = await import(modulePath);
const killAfter = killAfterText === undefined ? Infinity : Number(killAfterText);
const journal = await SqliteJournal.open(file);
const entry = (path, i) => ({
  path, kind: 'file',
  local: { size: i, mtimeMs: 1764000000000 + i, inode: 1000 + i },
  remote: { key: 'us-east-1:0000/' + path, etag: 'e' + i, size: i },
  md5: 'm' + i,
});
for (let i = 0; ; i++) {
  if (i % 5 === 4) {
    const generation = 'g' + i;
    const rows = [];
    for (let j = 0; j < ${HASH_SET_SIZE}; j++) {
      rows.push({ path: 'h/' + j, inode: j, size: j, mtimeMs: i, ctimeMs: i, md5: generation });
    }
    await journal.replaceHashes(rows);
    writeSync(1, 'H ' + generation + '\\n');
  } else if (i % 5 === 2) {
    const prefix = 'b' + i;
    const put = [];
    for (let j = 0; j < ${BATCH_SIZE}; j++) put.push(entry(prefix + '/' + j, i));
    await journal.batch({ put });
    writeSync(1, 'B ' + prefix + '\\n');
  } else {
    await journal.putSynced(entry('p' + i, i));
    writeSync(1, 'P p' + i + '\\n');
  }
  if (i + 1 >= killAfter) process.kill(process.pid, 'SIGKILL');
}
`;

interface ChildResult {
  readonly lines: string[];
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** Runs the child; if `killWhenLines` is given the parent kills it once that many lines arrived, plus `delayMs`. */
function runChild(script: string, file: string, options: { killAfter?: number; killWhenLines?: number; delayMs?: number }): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const args = [script, pathToFileURL(COMPILED).href, file];
    if (options.killAfter !== undefined) args.push(String(options.killAfter));
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killScheduled = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const seen = stdout.split('\n').length - 1;
      if (options.killWhenLines !== undefined && !killScheduled && seen >= options.killWhenLines) {
        killScheduled = true;
        setTimeout(() => child.kill('SIGKILL'), options.delayMs ?? 0);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      resolve({ lines: stdout.split('\n').filter((line) => line !== ''), signal, stderr });
    });
  });
}

/** Every reported write is present; every batch and hash generation is all-or-nothing. */
async function expectConsistentAfterCrash(file: string, lines: readonly string[]): Promise<void> {
  // Opening runs quick_check and would throw journal-corrupt on damage.
  const journal = await SqliteJournal.open(file);
  try {
    const synced = await journal.loadSynced();
    const hashes = await journal.loadHashes();

    for (const line of lines) {
      const [kind, name = ''] = line.split(' ');
      if (kind === 'P') expect(synced.has(name), `${name} was reported written but is missing`).toBe(true);
      if (kind === 'B') {
        for (let j = 0; j < BATCH_SIZE; j++) expect(synced.has(`${name}/${j}`), `${name}/${j} missing`).toBe(true);
      }
    }

    // A batch cut by the kill (started, not reported) must be absent as a whole, never half there.
    const perBatch = new Map<string, number>();
    for (const path of synced.keys()) {
      if (path.startsWith('b')) {
        const prefix = path.slice(0, path.indexOf('/'));
        perBatch.set(prefix, (perBatch.get(prefix) ?? 0) + 1);
      }
    }
    for (const [prefix, rows] of perBatch) expect(rows, `batch ${prefix} is partial`).toBe(BATCH_SIZE);

    // The hash cache is exactly one generation, at least as new as the last one reported.
    const lastReported = lines.filter((line) => line.startsWith('H ')).at(-1)?.slice(2);
    const generations = new Set([...hashes.values()].map((entry) => entry.md5));
    if (lastReported === undefined) {
      expect(generations.size).toBeLessThanOrEqual(1);
    } else {
      expect(generations.size).toBe(1);
      expect(hashes.size).toBe(HASH_SET_SIZE);
      const [survivor = ''] = generations;
      expect(Number(survivor.slice(1))).toBeGreaterThanOrEqual(Number(lastReported.slice(1)));
    }

    // Still writable after recovery.
    await journal.putSynced({
      path: 'after-crash',
      kind: 'folder',
      local: { size: 0, mtimeMs: 0 },
      remote: { key: 'k/', etag: '', size: 0 },
    });
  } finally {
    await journal.close();
  }
}

let dir: string;

beforeEach(async () => {
  if (!existsSync(COMPILED)) {
    throw new Error(`The crash test runs the compiled journal, and ${COMPILED} is missing: run \`npm run build\` (or \`npx tsc -b\`) first.`);
  }
  dir = await mkdtemp(join(tmpdir(), 'stratus-journal-crash-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('SqliteJournal after kill -9', () => {
  it('keeps every write that resolved before the process killed itself', async () => {
    const script = join(dir, 'child.mjs');
    const file = join(dir, 'journal.sqlite');
    await writeFile(script, CHILD_SCRIPT);

    const result = await runChild(script, file, { killAfter: 137 });

    expect(result.stderr).toBe('');
    expect(result.signal).toBe('SIGKILL');
    expect(result.lines).toHaveLength(137);
    // The WAL was never checkpointed by a clean close: recovery has work to do.
    expect(existsSync(`${file}-wal`)).toBe(true);
    await expectConsistentAfterCrash(file, result.lines);
  });

  it('recovers whole transactions when killed from outside at an arbitrary moment', async () => {
    const script = join(dir, 'child.mjs');
    await writeFile(script, CHILD_SCRIPT);
    // Several kills at different moments, so some land inside a transaction.
    for (let round = 0; round < 5; round++) {
      const file = join(dir, `journal-${round}.sqlite`);
      const delayMs = round * 3;
      const result = await runChild(script, file, { killWhenLines: 40, delayMs });
      expect(result.signal, result.stderr).toBe('SIGKILL');
      console.log(`crash round ${round}: killed ${delayMs} ms after line 40, ${result.lines.length} writes reported`);
      await expectConsistentAfterCrash(file, result.lines);
    }
  });
});
