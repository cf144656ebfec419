/**
 * The observability helpers shared by the TypeScript processes (@calc/runtime).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { context, trace } from '@opentelemetry/api';
import { readSettings, SettingsError, setUpTracing, workerRuntimeOptions, workerSettings } from '@calc/runtime';

describe('worker runtime', () => {
  const metrics = (env: Record<string, string>) =>
    workerRuntimeOptions(readSettings(workerSettings, env), 'w').telemetryOptions?.metrics as
      { prometheus: { bindAddress: string } } | undefined;

  it('serves Prometheus metrics in seconds on loopback unless METRICS_HOST says otherwise', () => {
    assert.deepEqual(metrics({ METRICS_PORT: '9468' }), {
      prometheus: { bindAddress: '127.0.0.1:9468', useSecondsForDurations: true },
    });
    assert.equal(metrics({ METRICS_PORT: '9468', METRICS_HOST: '0.0.0.0' })?.prometheus?.bindAddress, '0.0.0.0:9468');
    assert.equal(metrics({ METRICS_PORT: '9468', METRICS_HOST: '::' })?.prometheus?.bindAddress, '[::]:9468');
  });

  it('serves no metrics when METRICS_PORT is unset or empty, and refuses a malformed one', () => {
    assert.equal(metrics({}), undefined);
    assert.equal(metrics({ METRICS_PORT: '' }), undefined);
    for (const bad of ['http', '0', '65536', '9468 '])
      assert.throws(() => metrics({ METRICS_PORT: bad }), SettingsError);
  });
});

describe('worker logs', () => {
  /** What the Temporal runtime's logger writes on stderr in a process with `env`. */
  function runtimeLog(env: Record<string, string>): string[] {
    const script = `
      const t = require('@calc/runtime');
      const { logger } = t.workerRuntimeOptions(t.readSettings(t.workerSettings), 'w@h:1');
      logger.info('Worker state changed', { sdkComponent: 'worker', taskQueue: 'q', state: 'RUNNING' });
      logger.debug('below the level');
      logger.warn('two\\nlines', { error: new Error('boom\\nagain'), taskToken: 'opaque' });`;
    const run = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, '');
    return run.stderr.split('\n').filter(Boolean);
  }

  it('JSON: one record a line, level as a word, the identity on each, SDK noise left out', () => {
    const records = runtimeLog({ LOG_FORMAT: 'json' }).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(records.length, 2);
    const [first, second] = records;
    assert.match(String(first!.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual(
      { ...first, time: undefined },
      {
        level: 'info',
        time: undefined,
        identity: 'w@h:1',
        taskQueue: 'q',
        state: 'RUNNING',
        msg: 'Worker state changed',
      },
    );
    assert.equal(second!.level, 'warn');
    assert.equal(second!.msg, 'two\nlines');
    assert.equal(second!.identity, 'w@h:1');
    assert.equal(second!.taskToken, undefined);
    assert.deepEqual(
      [(second!.error as Error).message, (second!.error as { type: string }).type],
      ['boom\nagain', 'Error'],
    );
  });

  it('text (the default): one line a record with time, level, message and fields', () => {
    const lines = runtimeLog({ LOG_LEVEL: 'INFO' });
    assert.equal(lines.length, 2, lines.join('\n'));
    assert.match(lines[0]!, /^\[\d{4}-\d\d-\d\dT[\d:.]+Z\] INFO: Worker state changed \{.*"identity":"w@h:1"/);
    assert.ok(!lines[0]!.includes('sdkComponent'), lines[0]);
    assert.match(lines[1]!, /^\[.*\] WARN: two\\nlines \{.*"identity":"w@h:1".*"message":"boom\\nagain"/);
    assert.ok(!lines[1]!.includes('opaque'), lines[1]);
  });

  it('LOG_LEVEL debug lets the debug record through', () => {
    assert.equal(runtimeLog({ LOG_FORMAT: 'json', LOG_LEVEL: 'debug' }).length, 3);
  });
});

describe('tracing', () => {
  it('is off without an OTLP endpoint', () => {
    assert.equal(setUpTracing({ OTEL_SERVICE_NAME: 'svc' }, 'default-name'), undefined);
  });

  it('exports spans over OTLP/HTTP protobuf to the endpoint of the standard variables', async () => {
    const requests: { url?: string; type?: string; body: Buffer }[] = [];
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        requests.push({ url: req.url, type: req.headers['content-type'], body: Buffer.concat(chunks) });
        res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
    const { port } = receiver.address() as AddressInfo;
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${port}`;
    try {
      const tracing = setUpTracing(process.env, 'calc-test-service');
      assert.ok(tracing);
      const tracer = trace.getTracer('test');
      const outer = tracer.startSpan('outer-span');
      tracer.startSpan('inner-span', {}, trace.setSpan(context.active(), outer)).end();
      outer.end();
      await tracing.shutdown();
      assert.equal(requests.length, 1);
      const [request] = requests;
      assert.equal(request!.url, '/v1/traces');
      assert.equal(request!.type, 'application/x-protobuf');
      // Protobuf keeps strings as they are: the service and both span names are in the body.
      for (const text of ['calc-test-service', 'outer-span', 'inner-span']) {
        assert.ok(request!.body.includes(text), `${text} not exported`);
      }
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
      receiver.close();
    }
  });
});
