/**
 * The worker's settings, checked before anything connects.
 */
import { DEFAULT_WAIT_SECONDS } from '@calc/contracts';
import { readSettings, seconds, workerSettings, type Env } from '@calc/runtime';
import { STEP } from './activities';

export function loadWorkerConfig(env: Env = process.env) {
  const wait = readSettings({ [STEP.waitVariable]: seconds({ default: DEFAULT_WAIT_SECONDS }) }, env);
  // The spec above has this one key and a default, so the value is there.
  return { ...readSettings(workerSettings, env), waitSeconds: wait[STEP.waitVariable] as number };
}
