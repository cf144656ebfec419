/**
 * Peak resident memory of the stack's processes, read from /proc: the launcher's process tree,
 * each process named by its command line, and VmHWM (the kernel's high-water mark of RSS).
 */
import { readdirSync, readFileSync } from 'node:fs';

interface ProcInfo {
  pid: number;
  ppid: number;
  cmdline: string;
}

function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses; the fields after its last ')' may not.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return { pid, ppid: Number(fields[1]), cmdline };
  } catch {
    // The process ended between the listing and the read.
    return undefined;
  }
}

function allProcesses(): ProcInfo[] {
  return readdirSync('/proc')
    .filter((d) => /^[0-9]+$/.test(d))
    .flatMap((d) => readProc(Number(d)) ?? []);
}

/** The processes below `root` (not `root` itself). */
export function descendants(root: number): ProcInfo[] {
  const all = allProcesses();
  const found: ProcInfo[] = [];
  let frontier = [root];
  // A process tree is finite; the bound only guards against a pid reused into a cycle.
  for (let depth = 0; depth < 16 && frontier.length > 0; depth++) {
    const children = all.filter((p) => frontier.includes(p.ppid));
    found.push(...children);
    frontier = children.map((p) => p.pid);
  }
  return found;
}

/** The launcher (stack/up.ts) that startStack spawned from this process. */
export function launcherPid(): number | undefined {
  return descendants(process.pid).find((p) => p.ppid === process.pid && p.cmdline.includes('stack/up.ts'))?.pid;
}

const ROLES: [RegExp, string][] = [
  [/temporal server start-dev/, 'Temporal dev server (Go)'],
  [/producers\/dist\/worker\.js/, 'workflow worker (TS)'],
  [/-m power_of_2/, 'power_of_2 (Python)'],
  [/bin\/power_of_4/, 'power_of_4 (Go)'],
  [/power_of_6_nodejs\/dist\/main\.js/, 'power_of_6 (TS)'],
  [/producers\/dist\/server\.js/, 'REST API (TS)'],
  [/stack\/up\.ts/, 'launcher (concurrently)'],
];

export interface ProcessMemory {
  role: string;
  pid: number;
  /** Peak resident set size so far, in MiB. */
  peakMiB: number;
  /** Resident set size at the time of reading, in MiB. */
  rssMiB: number;
}

function statusKiB(pid: number, field: string): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+([0-9]+) kB`, 'm').exec(status);
    return match ? Number(match[1]) : NaN;
  } catch {
    return NaN;
  }
}

function memoryOf(role: string, pid: number): ProcessMemory {
  return { role, pid, peakMiB: statusKiB(pid, 'VmHWM') / 1024, rssMiB: statusKiB(pid, 'VmRSS') / 1024 };
}

/** Memory of the launcher and every process it started, plus any extra (named) processes. */
export function stackMemory(launcher: number, extra: { name: string; pid: number }[]): ProcessMemory[] {
  const tree = [readProc(launcher), ...descendants(launcher)].flatMap((p) => p ?? []);
  const known = tree.flatMap((p) => {
    const role = ROLES.find(([pattern]) => pattern.test(p.cmdline))?.[1];
    return role ? [memoryOf(role, p.pid)] : [];
  });
  return [...known, ...extra.map((e) => memoryOf(e.name, e.pid))];
}
