/**
 * Entry point of the power_of_6 worker: check the settings, connect, poll until SIGTERM/SIGINT.
 */
import { runWorker } from '@calc/runtime';
import { powerOf6, STEP } from './activities';
import { loadWorkerConfig } from './config';

runWorker('power_of_6 worker', () => {
  const { waitSeconds } = loadWorkerConfig();
  return {
    name: `${STEP.activity}-${STEP.language}`,
    serviceName: 'power-of-6-typescript',
    serves: { taskQueue: STEP.taskQueue, activities: { [STEP.activity]: powerOf6(waitSeconds) } },
    details: { wait_seconds: waitSeconds },
  };
});
