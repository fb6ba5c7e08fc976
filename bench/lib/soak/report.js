// The soak's verdict (every check, pass or fail, with the evidence) and its printed
// figures. A failed check makes the soak exit 1; warnings are printed for a person to
// look at but do not fail the run (see docs/soak.md for why each one is where it is).
import { describeVersion } from './ledger.js';
import { diffFiles, localTree, openMultipartUploads, remoteTree } from './trees.js';

const plural = (n, word) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

export async function judgeRun({ ledger, devices, admin, bucket, prefix, settled, stops, driverErrors, clients }) {
  const [a, b] = await Promise.all(devices.map((d) => localTree(d.folder)));
  const r = await remoteTree(admin, bucket, prefix, { hash: true });
  const uploads = await openMultipartUploads(admin, bucket, prefix).catch((err) => [`(could not list: ${err.message})`]);
  const remoteHashes = new Map([...r.files].map(([p, f]) => [p, f.hash]));
  const checks = [];
  const check = (name, ok, detail = '') => checks.push({ name, ok, detail });

  check('both clients settled after the faults stopped', settled.converged, settled.converged ? `in ${settled.waitedS.toFixed(0)} s of waiting` : `still different after ${settled.waitedS.toFixed(0)} s: ${settled.why}`);
  const ab = diffFiles('folder A', a.files, 'folder B', b.files);
  check('folder A == folder B (paths and SHA-256)', ab.count === 0, ab.count ? `${ab.count} differences: ${ab.lines.join('; ')}` : `${plural(a.files.size, 'file')}`);
  const dirsOnlyA = [...a.dirs].filter((d) => !b.dirs.has(d));
  const dirsOnlyB = [...b.dirs].filter((d) => !a.dirs.has(d));
  check('the same folders on both devices', dirsOnlyA.length + dirsOnlyB.length === 0,
    dirsOnlyA.length + dirsOnlyB.length ? `only in A: ${dirsOnlyA.slice(0, 5).join(', ') || '-'}; only in B: ${dirsOnlyB.slice(0, 5).join(', ') || '-'}` : `${plural(a.dirs.size, 'folder')}`);
  const ar = diffFiles('folder A', a.files, 'the server', remoteHashes);
  check('the server == folder A (every object downloaded and hashed)', ar.count === 0, ar.count ? `${ar.count} differences: ${ar.lines.join('; ')}` : `${plural(r.files.size, 'object')}`);
  const temps = [...a.temps.map((p) => `A:${p}`), ...b.temps.map((p) => `B:${p}`)];
  check('no temp or partial files left in the folders', temps.length === 0, temps.slice(0, 10).join(', '));
  // Not a failure: the engine aborts uploads nobody's journal knows only after 7 days (another device may
  // own a younger one), so one whose abort failed lingers until then. Reported so it is seen.
  const leftUploads = uploads.length ? [`${plural(uploads.length, 'multipart upload')} left open on the server (partial data, billed on AWS until aborted): ${uploads.slice(0, 10).map((k) => `"${k}"`).join(', ')}`] : [];
  for (const s of stops) check(`client ${s.name} stopped cleanly on SIGINT (exit 0)`, s.code === 0 && !s.forced, `exit ${s.code}${s.signal ? `, signal ${s.signal}` : ''}${s.forced ? ', had to be killed' : ''}`);
  check('the soak driver itself had no errors', driverErrors.length === 0, driverErrors.slice(0, 3).join('\n'));

  // When the copies differ, a version is lost only if it is in none of them.
  const agreed = ab.count === 0 && ar.count === 0;
  const j = ledger.judge(agreed ? [...a.files] : [...a.files, ...b.files, ...remoteHashes]);
  const scope = agreed ? '' : ' (judged over folder A, folder B and the server together, since they differ)';
  check(`no live version lost${scope}`, j.lost.length === 0, j.lost.slice(0, 10).map(describeVersion).join('\n      '));
  check('no file holds bytes nobody wrote (torn or mixed content)', j.corrupt.length === 0, j.corrupt.slice(0, 10).map((c) => `"${c.path}"`).join(', '));

  const warnings = [...leftUploads];
  const info = [];
  // Comeback, duplicate and misplaced versions only mean something in one agreed tree; over three differing copies they are noise.
  if (!agreed) info.push('the copies differ, so versions that came back, duplicates and misplaced versions were not looked for');
  else if (j.zombies.length) warnings.push(`${plural(j.zombies.length, 'version')} that someone replaced or deleted came back: ${j.zombies.slice(0, 5).map((z) => `${describeVersion(z.v)} found at ${z.where.map((p) => `"${p}"`).join(', ')}`).join('; ')}`);
  const dupText = (ds) => ds.slice(0, 5).map((d) => `v${d.v.id} at ${d.where.map((p) => `"${p}"`).join(', ')}`).join('; ');
  const given = j.duplicates.filter((d) => d.given);
  const notGiven = j.duplicates.filter((d) => !d.given);
  if (agreed && notGiven.length) warnings.push(`${plural(notGiven.length, 'version')} exist under more than one name: ${dupText(notGiven)}`);
  if (agreed && given.length) info.push(`${plural(given.length, 'version')} kept under both names two writers renamed it to at about the same time: ${dupText(given)}`);
  if (agreed && j.misplaced.length) warnings.push(`${plural(j.misplaced.length, 'version')} ended under a name nobody gave it: ${j.misplaced.slice(0, 5).map((m) => `${describeVersion(m.v)} found at "${m.path}"`).join('; ')}`);
  const raced = [...ledger.versions.values()].filter((v) => v.notes.length > 0);
  if (raced.length) warnings.push(`${plural(raced.length, 'write')} had the file replaced right after it: ${raced.slice(0, 5).map(describeVersion).join('; ')}`);
  for (const c of clients) {
    if (c.stats.stoppedRuns) warnings.push(`client ${c.name}: ${plural(c.stats.stoppedRuns, 'run')} stopped by a safety rail`);
  }
  return { ok: checks.every((c) => c.ok), checks, warnings, info, oracle: j, openUploads: uploads.length, final: { files: a.files.size, dirs: a.dirs.size, bytes: [...r.files.values()].reduce((s, f) => s + f.size, 0) } };
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ')).join('\n');
}

export function printReport(x) {
  const L = [];
  const { verdict, ledger } = x;
  L.push('', `=== Stratus soak: ${verdict.ok ? 'PASSED' : 'FAILED'} ===`);
  L.push(`seed ${x.seed} (replay: npm run soak -- --minutes ${x.minutes} --seed ${x.seed}${x.faultKinds.length ? ` --faults ${x.faultKinds.join(',')}` : ' --no-faults'})`);
  L.push(`${x.minutes} min of edits, ${Math.round(x.elapsedS)} s in all; watch --poll-ms ${x.timings.pollMs} --full-list-ms ${x.timings.fullListMs}; scratch ${x.scratch}`);

  const sides = ['A', 'B', 'S'];
  const kinds = [...new Set([...x.edits.keys()].map((k) => k.split(' ')[1]))].sort();
  const editRows = [['edits', ...sides.map((s) => (s === 'S' ? 'S3 writer' : `folder ${s}`)), 'total']];
  for (const k of kinds) {
    const per = sides.map((s) => x.edits.get(`${s} ${k}`) ?? 0);
    editRows.push([k, ...per, per.reduce((a, b) => a + b, 0)]);
  }
  const totals = sides.map((s) => [...x.edits].filter(([k]) => k.startsWith(`${s} `)).reduce((a, [, v]) => a + v, 0));
  editRows.push(['all', ...totals, totals.reduce((a, b) => a + b, 0)]);
  editRows.push(['(skipped: target moved)', ...x.editors.map((e) => e.skipped), x.editors.reduce((a, e) => a + e.skipped, 0)]);
  L.push('', table(editRows));
  const j = verdict.oracle;
  L.push('', `versions: ${j.written} written, ${j.placed} placed, ${j.live} live at the end (must survive), ${j.placed - j.live} replaced or deleted by someone who saw them`);
  const fw = [...x.faultPlan.windows].map(([k, n]) => `${k} ×${n}`).join(', ') || 'none';
  L.push(`fault windows: ${fw}`);
  L.push(`requests hit by a fault: ${x.injected.error503} × 503, ${x.injected.error500} × 500, ${x.injected.reset} reset, ${x.injected.latency} delayed`);
  const runRows = [['client', 'runs', 'up', 'down', 'del local', 'del remote', 'moved', 'conflicts', 'item errors', 'offline', 'error state', 'stderr lines']];
  for (const c of x.clients) {
    const t = c.stats.totals;
    runRows.push([c.name, c.stats.runs, t.uploaded, t.downloaded, t.deletedLocal, t.deletedRemote, t.moved, t.conflicts, t.errors, c.stats.states.offline ?? 0, c.stats.states.error ?? 0, c.stats.stderrLines]);
  }
  L.push('', table(runRows));
  L.push('', `conflicts: ${x.clients.reduce((s, c) => s + c.stats.totals.conflicts, 0)} reported by the clients; ${j.conflictCopies} conflicted copies in the final tree`);
  L.push(`time to converge after the last edit: ${x.convergeS === undefined ? 'did not converge' : `${x.convergeS.toFixed(1)} s`}`);
  L.push(`final tree: ${verdict.final.files} files, ${verdict.final.dirs} folders, ${(verdict.final.bytes / 2 ** 20).toFixed(1)} MiB`);
  const req = [...x.requests].sort((a, b) => b[1] - a[1]);
  L.push(`requests by operation (${req.reduce((s, [, n]) => s + n, 0).toLocaleString('en-US')} in all until settled: both clients, the S3 writer and the settle checks' listings): ${req.map(([op, n]) => `${op} ${n.toLocaleString('en-US')}`).join(', ')}`);
  L.push('', 'checks:');
  for (const c of verdict.checks) L.push(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}${c.detail ? (c.ok ? ` (${c.detail})` : `\n      ${c.detail}`) : ''}`);
  if (verdict.warnings.length) {
    L.push('', 'warnings (not failures; look at them):');
    for (const w of verdict.warnings) L.push(`  - ${w}`);
  }
  for (const i of verdict.info) L.push('', `note: ${i}`);
  const ops = [...ledger.counts].filter(([k]) => /raced-write|save-lost-race|failed|rename-half/.test(k));
  if (ops.length) L.push('', `driver notes: ${ops.map(([k, n]) => `${k} ×${n}`).join(', ')}`);
  L.push('');
  process.stdout.write(`${L.join('\n')}\n`);
}
