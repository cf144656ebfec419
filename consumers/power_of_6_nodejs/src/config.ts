/**
 * Worker settings from the environment, checked before anything connects.
 */
import { hostname } from 'node:os';
import { DEFAULT_WAIT_SECONDS } from '@calc/contracts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const SECONDS = /^[0-9]+(\.[0-9]+)?$/;

type Env = Record<string, string | undefined>;

/** A non-negative decimal number of seconds; unset or empty gives `fallback`. */
export function secondsFrom(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!SECONDS.test(raw)) {
    throw new ConfigError(
      `${name}=${JSON.stringify(raw)} is not a number of seconds: use a non-negative decimal such as 0, 2 or 0.5`,
    );
  }
  return Number(raw);
}

export interface WorkerConfig {
  waitSeconds: number;
  shutdownGraceSeconds: number;
  replica: string;
}

export function loadWorkerConfig(env: Env, waitVariable: string): WorkerConfig {
  const replica = env.WORKER_REPLICA || '1';
  if (!/^[A-Za-z0-9_.-]+$/.test(replica)) {
    throw new ConfigError(`WORKER_REPLICA=${JSON.stringify(replica)} may hold only letters, digits, '.', '_' and '-'`);
  }
  return {
    waitSeconds: secondsFrom(env, waitVariable, DEFAULT_WAIT_SECONDS),
    shutdownGraceSeconds: secondsFrom(env, 'WORKER_SHUTDOWN_GRACE_SECONDS', 10),
    replica,
  };
}

/** `<activity>-<language>-<replica>@<hostname>:<pid>`, as the contract spells it. */
export function workerIdentity(activity: string, language: string, replica: string): string {
  return `${activity}-${language}-${replica}@${hostname()}:${process.pid}`;
}
