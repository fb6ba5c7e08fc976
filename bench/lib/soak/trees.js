// Snapshots of the three copies the soak compares: each sync folder (path → SHA-256,
// plus folders and any leftover temp files) and the remote prefix (path → size/ETag,
// and SHA-256 when asked, by downloading every object).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';

const hashCache = new Map();

function sha256Stream(stream) {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    stream.on('data', (d) => h.update(d)).on('end', () => resolve(h.digest('hex'))).on('error', reject);
  });
}

/** Temp files nobody should leave behind: the engine's downloads in progress, our editor's saves. */
export const isTempName = (name) => name.startsWith('.stratus-tmp-') || name.endsWith('.part');

/** @returns {Promise<{ files: Map<string,string>, dirs: Set<string>, temps: string[] }>} */
export async function localTree(root) {
  const files = new Map();
  const dirs = new Set();
  const temps = [];
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    const abs = join(e.parentPath, e.name);
    const rel = abs.slice(root.length + 1);
    if (rel === '.stratus' || rel.startsWith('.stratus/')) continue;
    if (isTempName(e.name)) {
      temps.push(rel);
      continue;
    }
    if (e.isDirectory()) {
      dirs.add(rel);
      continue;
    }
    if (!e.isFile()) continue;
    const st = await lstat(abs, { bigint: true }).catch(() => undefined);
    if (st === undefined) continue;
    const key = `${abs}\0${st.ino}\0${st.size}\0${st.mtimeNs}\0${st.ctimeNs}`;
    let hash = hashCache.get(key);
    if (hash === undefined) {
      hash = await sha256Stream(createReadStream(abs)).catch(() => undefined);
      if (hash === undefined) continue;
      hashCache.set(key, hash);
    }
    files.set(rel, hash);
  }
  return { files, dirs, temps };
}

/** @returns {Promise<{ files: Map<string,{size:number, etag:string, hash?:string}>, folders: Set<string>, internal: string[] }>} */
export async function remoteTree(client, bucket, prefix, { hash = false } = {}) {
  const files = new Map();
  const folders = new Set();
  const internal = [];
  let token;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) {
      const rel = o.Key.slice(prefix.length);
      if (rel.startsWith('.stratus/')) internal.push(rel);
      else if (rel.endsWith('/')) folders.add(rel.slice(0, -1));
      else files.set(rel, { size: o.Size, etag: (o.ETag ?? '').replaceAll('"', '') });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  if (hash) {
    for (const [rel, f] of files) {
      const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: prefix + rel }));
      f.hash = await sha256Stream(res.Body);
    }
  }
  return { files, folders, internal };
}

export async function openMultipartUploads(client, bucket, prefix) {
  const res = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
  return (res.Uploads ?? []).map((u) => u.Key.slice(prefix.length));
}

/** Differences between two path → hash maps, as short lines (at most `max`). */
export function diffFiles(nameA, a, nameB, b, max = 10) {
  const out = [];
  for (const [p, h] of a) {
    if (!b.has(p)) out.push(`"${p}" only in ${nameA}`);
    else if (b.get(p) !== h) out.push(`"${p}" differs between ${nameA} and ${nameB}`);
  }
  for (const p of b.keys()) if (!a.has(p)) out.push(`"${p}" only in ${nameB}`);
  return { count: out.length, lines: out.slice(0, max) };
}
