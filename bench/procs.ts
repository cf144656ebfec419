/**
 * Peak resident memory of the stack's processes: which processes there are comes from the
 * launcher's state (stack.json, through RunningStack), the figures from /proc, where VmHWM is
 * the kernel's high-water mark of the resident set.
 */
import { readFileSync } from 'node:fs';
import type { RunningStack } from '../tests/stack';

/** A process to measure. A worker's identity, `<activity>-<language>-<replica>@host:pid`, names its language. */
export interface MeasuredProcess {
  name: string;
  /** The docker-compose.yml service it runs, `launcher` or `baseline`. */
  service: string;
  pid: number;
  identity?: string;
}

export interface ProcessMemory {
  name: string;
  service: string;
  /** Set for workers, which are the processes whose memory the two pipelines are compared by. */
  language?: string;
  pid: number;
  /** Peak resident set size so far, in MiB. */
  peakMiB: number;
  /** Resident set size at the time of reading, in MiB. */
  rssMiB: number;
}

function statusMiB(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+([0-9]+) kB`, 'm').exec(status);
  return match ? Number(match[1]) / 1024 : NaN;
}

function memoryOf(p: MeasuredProcess): ProcessMemory {
  let status = '';
  try {
    status = readFileSync(`/proc/${p.pid}/status`, 'utf8');
  } catch {
    // The process has ended (a restarted replica): its figures are unknown, not zero.
  }
  return {
    name: p.name,
    service: p.service,
    language: p.identity?.split('@')[0]?.split('-')[1],
    pid: p.pid,
    peakMiB: statusMiB(status, 'VmHWM'),
    rssMiB: statusMiB(status, 'VmRSS'),
  };
}

/** The launcher and every process it runs, as stack.json last described them. */
export function stackProcesses(stack: RunningStack): MeasuredProcess[] {
  return [{ name: 'launcher', service: 'launcher', pid: stack.launcherPid }, ...stack.processes()];
}

/** Memory of the launcher, every process it runs, and `extra` processes (the baseline's). */
export function stackMemory(stack: RunningStack, extra: MeasuredProcess[]): ProcessMemory[] {
  return [...stackProcesses(stack), ...extra].map(memoryOf);
}
