/**
 * What the figures were measured on: the machine, and the version of every runtime, of the
 * Temporal server and of each SDK, read from the lock files the stack installs from.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
}

export interface Versions {
  node: string;
  python: string;
  go: string;
  temporalCli: string;
  typescriptSdk: string;
  pythonSdk: string;
  goSdk: string;
  fastify: string;
}

export function machine(): Machine {
  const list = cpus();
  return {
    cores: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
  };
}

/** The first line a command prints, or `unknown` when it cannot run. */
function firstLine(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', timeout: 10_000 }).split('\n')[0]!.trim();
  } catch {
    return 'unknown';
  }
}

function packageVersion(name: string): string {
  try {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
      version: string;
    };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

function fileMatch(path: string, pattern: RegExp): string {
  try {
    return pattern.exec(readFileSync(join(ROOT, path), 'utf8'))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function versions(): Versions {
  return {
    node: process.version,
    python: firstLine(join(ROOT, 'consumers/power_of_2_python/.venv/bin/python'), ['--version']),
    go: firstLine('go', ['version']),
    temporalCli: firstLine(join(ROOT, '.tools/bin/temporal'), ['--version']),
    typescriptSdk: packageVersion('@temporalio/worker'),
    pythonSdk: fileMatch('consumers/power_of_2_python/uv.lock', /name = "temporalio"\nversion = "([^"]+)"/),
    goSdk: fileMatch('consumers/power_of_4_golang/go.mod', /go\.temporal\.io\/sdk (v[^\s]+)/),
    fastify: packageVersion('fastify'),
  };
}
