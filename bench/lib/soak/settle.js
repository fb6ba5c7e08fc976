// Waits, after the last edit and with the faults off, until both folders and the
// prefix hold the same files and stay so: both clients idle (their last run clean and
// a few seconds old), the two folders equal (paths, contents, folders), the prefix
// listing naming the same files with the same sizes, and that for two checks in a row.
import { diffFiles, localTree, remoteTree } from './trees.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function sameSet(a, b) {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

/** What still differs, in a few words (for progress lines and the report). */
function describe(a, b, r, clients) {
  const parts = [];
  const ab = diffFiles('A', a.files, 'B', b.files, 3);
  if (ab.count) parts.push(`A/B: ${ab.count} differences (${ab.lines.join('; ')})`);
  if (!sameSet(a.dirs, b.dirs)) {
    const only = [...a.dirs].filter((d) => !b.dirs.has(d)).map((d) => `"${d}" only in A`)
      .concat([...b.dirs].filter((d) => !a.dirs.has(d)).map((d) => `"${d}" only in B`));
    parts.push(`folders: ${only.slice(0, 3).join('; ')}`);
  }
  if (r === undefined) parts.push('listing the prefix failed');
  else {
    const missing = [...a.files.keys()].filter((p) => !r.files.has(p));
    const extra = [...r.files.keys()].filter((p) => !a.files.has(p));
    if (missing.length || extra.length) parts.push(`server: ${missing.length} missing (${missing.slice(0, 3).map((p) => `"${p}"`).join(', ')}), ${extra.length} extra (${extra.slice(0, 3).map((p) => `"${p}"`).join(', ')})`);
  }
  for (const c of clients) {
    if (c.stats.state === 'idle') continue;
    parts.push(`client ${c.name} is ${c.running ? c.stats.state : 'not running'}${c.stats.lastError ? ` (last error: ${c.stats.lastError})` : ''}`);
  }
  return parts.join('; ') || 'settling';
}

export async function settle({ clients, devices, admin, bucket, prefix, timeoutMs, log }) {
  const start = Date.now();
  let lastSignature;
  let equalSince;
  let lastReport = start;
  let why = '';
  while (Date.now() - start < timeoutMs) {
    await sleep(2000);
    const [a, b] = await Promise.all(devices.map((d) => localTree(d.folder)));
    const r = await remoteTree(admin, bucket, prefix).catch(() => undefined);
    const now = Date.now();
    const quiet = clients.every((c) => c.running && c.stats.state === 'idle' && now - c.stats.lastRunAt > 3000);
    const equal = r !== undefined && diffFiles('A', a.files, 'B', b.files).count === 0 && sameSet(a.dirs, b.dirs) &&
      a.files.size === r.files.size && [...a.files.keys()].every((p) => r.files.has(p));
    if (equal) {
      const signature = JSON.stringify([[...a.files].sort(), [...r.files].map(([p, f]) => [p, f.size, f.etag]).sort()]);
      if (signature !== lastSignature) {
        lastSignature = signature;
        equalSince = now;
      } else if (quiet && now - equalSince >= 6000) {
        return { converged: true, at: equalSince, waitedS: (now - start) / 1000 };
      }
    } else {
      lastSignature = undefined;
    }
    why = describe(a, b, r, clients);
    if (now - lastReport >= 30_000) {
      lastReport = now;
      log(`still settling: ${why}`);
    }
  }
  return { converged: false, why, waitedS: (Date.now() - start) / 1000 };
}
