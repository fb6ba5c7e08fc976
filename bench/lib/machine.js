// Describes the machine and the versions of everything measured.
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { run } from './measure.js';

function osRelease() {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text)?.[1] ?? 'unknown';
    const debian = existsSync('/etc/debian_version') ? readFileSync('/etc/debian_version', 'utf8').trim() : undefined;
    return debian === undefined ? pretty : `${pretty} (debian_version ${debian})`;
  } catch {
    return 'unknown';
  }
}

export function machine() {
  const list = cpus();
  return {
    cores: list.length,
    cpuModel: list[0]?.model?.trim() ?? 'unknown',
    ramGiB: totalmem() / 1024 ** 3,
    kernel: release(),
    os: osRelease(),
  };
}

async function firstLine(cmd, args, env) {
  try {
    const r = await run(cmd, args, { env, allowFailure: true });
    return (r.stdout.trim() || r.stderr.trim()).split('\n')[0] ?? 'unknown';
  } catch (err) {
    return `unavailable (${err.message.split('\n')[0]})`;
  }
}

/** `commitLabel` (from --commit) names the build when the folder is not a git checkout, e.g. an export of a commit. */
export async function versions(repoRoot, tools, commitLabel) {
  const out = { node: process.version };
  for (const t of tools) out[t.key] = await firstLine(t.cmd, t.versionArgs, t.env);
  if (commitLabel !== undefined) {
    out.commit = commitLabel;
    return out;
  }
  const commit = await firstLine('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD'], process.env);
  let dirty = false;
  try {
    // Only the code that runs counts: src/ (compiled to out/tsc), bin/ and package.json.
    const status = await run('git', ['-C', repoRoot, 'status', '--porcelain', '--', 'src', 'bin', 'package.json'], { allowFailure: true });
    dirty = status.stdout.trim() !== '';
  } catch {
    // no git: leave it clean-looking but say the commit is unknown below
  }
  out.commit = dirty ? `${commit} + uncommitted changes in src/ or bin/` : commit;
  return out;
}

function cpuTimes() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { idle, total };
}

/**
 * How busy the machine is before the bench starts (other processes compete for the
 * same cores): the share of CPU time not idle over `ms`, and the 1-minute load average.
 */
export async function backgroundLoad(ms = 3000) {
  try {
    const a = cpuTimes();
    await new Promise((resolve) => setTimeout(resolve, ms));
    const b = cpuTimes();
    const busy = 1 - (b.idle - a.idle) / Math.max(1, b.total - a.total);
    return { busyPct: Math.round(busy * 100), load1: loadavg()[0] };
  } catch {
    return { busyPct: NaN, load1: loadavg()[0] };
  }
}

/** CPU time (clock ticks) of a process plus its waited-for children, from /proc/<pid>/stat. */
function procTicks(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // After the command name: state is field 3; utime, stime, cutime, cstime are fields 14–17.
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
}

/**
 * Measures how much CPU other processes take while the bench runs: all busy CPU time on
 * the machine minus this process, its finished children (every tool run) and the
 * sandbox. `start()` at the beginning; `finish(sandboxPid)` while the sandbox still runs.
 */
export function foreignCpuMeter() {
  let a;
  let selfA;
  return {
    start() {
      try {
        a = cpuTimes();
        selfA = procTicks(process.pid);
      } catch {
        a = undefined;
      }
    },
    finish(sandboxPid) {
      if (a === undefined) return undefined;
      try {
        const b = cpuTimes();
        const ours = procTicks(process.pid) - selfA + (sandboxPid === undefined ? 0 : procTicks(sandboxPid));
        const busy = b.total - a.total - (b.idle - a.idle);
        return { foreignPct: Math.max(0, Math.round((100 * (busy - ours)) / Math.max(1, b.total - a.total))) };
      } catch {
        return undefined;
      }
    },
  };
}
