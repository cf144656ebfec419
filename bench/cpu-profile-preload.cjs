/**
 * Preloaded by bench/profile.ts through NODE_OPTIONS (which refuses --cpu-prof): V8's CPU
 * profiler in every Node.js process and each of its worker threads, toggled by SIGWINCH (the Temporal runtime drains on SIGUSR2; SIGWINCH is ignored by default). The
 * first signal starts it, the second writes <CPU_PROFILE_DIR>/CPU.<n>.<pid>.<thread>.cpuprofile,
 * so that a profile covers exactly the window the benchmark measured. Worker threads get no
 * signals: the main thread passes them on through a BroadcastChannel.
 */
// A CommonJS file, since NODE_OPTIONS can preload only what Node runs without a loader.
/* global require, process */
/* eslint-disable @typescript-eslint/no-require-imports */
const { Session } = require('node:inspector');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { isMainThread, threadId, BroadcastChannel } = require('node:worker_threads');

const dir = process.env.CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  let round = 0;
  let running = false;
  const toggle = () => {
    if (!running) {
      session.post('Profiler.start');
      running = true;
      return;
    }
    running = false;
    round += 1;
    session.post('Profiler.stop', (err, result) => {
      if (!err) {
        writeFileSync(join(dir, `CPU.${round}.${process.pid}.${threadId}.cpuprofile`), JSON.stringify(result.profile));
      }
    });
  };
  const channel = new BroadcastChannel('calc-cpu-profile');
  channel.unref();
  if (isMainThread) {
    process.on('SIGWINCH', () => {
      toggle();
      channel.postMessage('toggle');
    });
  } else {
    channel.onmessage = toggle;
  }
}
