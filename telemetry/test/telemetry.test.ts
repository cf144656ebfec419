/**
 * The observability helpers shared by the TypeScript processes (@calc/telemetry).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { context, trace } from '@opentelemetry/api';
import {
  formatLogLine,
  readSettings,
  SettingsError,
  setUpTracing,
  workerRuntimeOptions,
  workerSettings,
} from '@calc/telemetry';

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

describe('log lines', () => {
  const time = new Date('2026-01-02T03:04:05.678Z');
  const fields = { workflowId: 'calculate-2-x', identity: 'w@h:1', req: { method: 'POST', url: '/?number=2' } };

  it('JSON: one object a line with every field', () => {
    const line = formatLogLine('json', time, 'INFO', 'calculation started', fields);
    assert.deepEqual(JSON.parse(line), {
      time: '2026-01-02T03:04:05.678Z',
      level: 'info',
      msg: 'calculation started',
      ...fields,
    });
  });

  it('text: time, level, message, then key=value on one line', () => {
    const line = formatLogLine('text', time, 'info', 'two\nlines', { ...fields, note: 'has space' });
    assert.equal(
      line,
      '2026-01-02T03:04:05.678Z INFO  two\\nlines workflowId=calculate-2-x identity=w@h:1 req.method=POST ' +
        'req.url="/?number=2" note="has space"',
    );
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
