// Deterministic datasets: every byte comes from an AES-128-CTR keystream whose key and
// IV are derived from the dataset name, the file's path and a version number, so two
// runs (and two tools) see exactly the same files. The content is incompressible.
import { createCipheriv, createHash } from 'node:crypto';
import { closeSync, cpSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

const KEY = createHash('sha256').update('stratus-bench-v1').digest().subarray(0, 16);

function keystream(seed) {
  const iv = createHash('sha256').update(seed).digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', KEY, iv);
}

/** `size` deterministic bytes for (`seed`). */
export function content(seed, size) {
  return keystream(seed).update(Buffer.alloc(size));
}

export function md5(buf) {
  return createHash('md5').update(buf).digest('hex');
}

/** Relative path of file `i` in a tree of `folders` × `perFolder` files. */
export function treePath(i, perFolder) {
  const folder = Math.floor(i / perFolder);
  return `d${String(folder).padStart(3, '0')}/f${String(i % perFolder).padStart(4, '0')}.bin`;
}

/**
 * Writes `folders` × `perFolder` files of `size` bytes under `root`.
 * @returns {Map<string,string>} relative path → MD5 hex (the single-part ETag)
 */
export function writeTree(root, name, folders, perFolder, size) {
  const md5s = new Map();
  for (let f = 0; f < folders; f++) mkdirSync(join(root, treePath(f * perFolder, perFolder), '..'), { recursive: true });
  for (let i = 0; i < folders * perFolder; i++) {
    const rel = treePath(i, perFolder);
    const buf = content(`${name}:${rel}:0`, size);
    writeFileSync(join(root, rel), buf);
    md5s.set(rel, md5(buf));
  }
  return md5s;
}

/** Writes one big file in 8 MiB chunks; returns its SHA-256 hex. */
export function writeBigFile(path, name, size) {
  mkdirSync(dirname(path), { recursive: true });
  const cipher = keystream(`${name}:big:0`);
  const hash = createHash('sha256');
  const zero = Buffer.alloc(8 * 1024 * 1024);
  const fd = openSync(path, 'w');
  try {
    for (let done = 0; done < size; ) {
      const n = Math.min(zero.length, size - done);
      const chunk = cipher.update(n === zero.length ? zero : zero.subarray(0, n));
      writeSync(fd, chunk);
      hash.update(chunk);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** A plain copy of a prepared folder (fresh inodes and timestamps: nothing shared between tools). */
export function copyTree(from, to) {
  cpSync(from, to, { recursive: true });
}

/**
 * Rewrites `count` files of a tree with new content of the same size (version `version`).
 * Each version picks a different set of files, spread over the folders.
 * @returns {Map<string,string>} the changed paths → new MD5
 */
export function modifyFiles(root, name, folders, perFolder, size, count, version) {
  const changed = new Map();
  for (let k = 0; k < count; k++) {
    const folder = (k * Math.floor(folders / count) + version * 3) % folders;
    const file = (version * 17 + k * 7) % perFolder;
    const rel = treePath(folder * perFolder + file, perFolder);
    const buf = content(`${name}:${rel}:${version}`, size);
    writeFileSync(join(root, rel), buf);
    changed.set(rel, md5(buf));
  }
  return changed;
}
