/**
 * CPU time of every process, read from /proc/<pid>/stat (user + system time, the kernel's
 * accounting of all the process's threads), so that a window's cost can be divided by the
 * calculations it completed: milliseconds of CPU per calculation, per process.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { MeasuredProcess } from './procs';

/** Clock ticks per second of /proc's utime and stime; 100 on every Linux this runs on. */
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU milliseconds a process has used so far, or NaN once it has ended. */
export function cpuMs(pid: number): number {
  if (pid === process.pid) {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name, in parentheses, may hold spaces: fields are counted after its end.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

export type CpuSnapshot = Map<number, number>;

export function cpuSnapshot(processes: readonly MeasuredProcess[]): CpuSnapshot {
  return new Map(processes.map((p) => [p.pid, cpuMs(p.pid)]));
}

export interface ProcessCost {
  name: string;
  service: string;
  pid: number;
  /** CPU milliseconds the process used between the two snapshots. */
  cpuMs: number;
  /** The same per calculation. */
  perCalcMs: number;
}

/** What each process used between `before` and `after`, divided by `calcs`. */
export function costs(
  processes: readonly MeasuredProcess[],
  before: CpuSnapshot,
  after: CpuSnapshot,
  calcs: number,
): ProcessCost[] {
  return processes.map((p) => {
    const used = (after.get(p.pid) ?? NaN) - (before.get(p.pid) ?? NaN);
    return { name: p.name, service: p.service, pid: p.pid, cpuMs: used, perCalcMs: used / calcs };
  });
}
