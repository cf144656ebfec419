/**
 * The observability helpers shared by the TypeScript processes (@calc/telemetry).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { context, trace } from '@opentelemetry/api';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Resource } from '@opentelemetry/resources';
import {
  formatLogLine,
  JsonLinesSpanExporter,
  readSettings,
  SettingsError,
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

describe('files', () => {
  it('the span file gets one JSON line per span, children naming their parent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'telemetry-test-'));
    try {
      const path = join(dir, 'spans.jsonl');
      const provider = new BasicTracerProvider({
        resource: new Resource({ 'service.name': 'svc' }),
        spanProcessors: [new SimpleSpanProcessor(new JsonLinesSpanExporter(path))],
      });
      const tracer = provider.getTracer('test');
      const outer = tracer.startSpan('outer');
      const inner = tracer.startSpan('inner', {}, trace.setSpan(context.active(), outer));
      inner.end();
      outer.end();
      await provider.forceFlush();
      const [first, second] = readFileSync(path, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, string>);
      assert.equal(first!.name, 'inner');
      assert.equal(first!.service, 'svc');
      assert.equal(first!.traceId, second!.traceId);
      assert.equal(first!.parentSpanId, second!.spanId);
      assert.equal(second!.parentSpanId, '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
