/** The REST API's spans: the caller's trace continued into StartWorkflow, the probes left out. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Client } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app';
import { loadApiConfig } from '../config';
import { pipeline, usePipeline } from '../../workflow/test/pipeline';

usePipeline();

describe('REST API tracing', () => {
  const exporter = new InMemorySpanExporter();
  let traced: FastifyInstance;
  before(async () => {
    // As server.ts does when tracing is on, but after the app's modules are loaded.
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    provider.register({ contextManager: new AsyncLocalStorageContextManager() });
    traced = await buildApp({
      client: new Client({
        connection: pipeline.client.connection,
        interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
      }),
      config: loadApiConfig({}),
    });
  });
  after(async () => traced?.close());

  it('continues the caller\'s trace in a "POST /" span, the parent of StartWorkflow', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const caller = 'b7ad6b7169203331';
    const res = await traced.inject({
      method: 'POST',
      url: '/?number=2',
      headers: { traceparent: `00-${traceId}-${caller}-01` },
    });
    assert.equal(res.statusCode, 202);
    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    const http = spans.find((s) => s.name === 'POST /');
    assert.ok(http, `no "POST /" span among ${spans.map((s) => s.name).join(', ')}`);
    assert.equal(http.kind, SpanKind.SERVER);
    assert.equal(http.parentSpanId, caller);
    assert.equal(http.attributes['http.response.status_code'], 202);
    const start = spans.find((s) => s.name === 'StartWorkflow:CalculateWorkflow');
    assert.equal(start?.parentSpanId, http.spanContext().spanId);
  });

  it('leaves the probes and /metrics out of the traces', async () => {
    exporter.reset();
    for (const url of ['/health', '/ready', '/metrics']) {
      assert.equal((await traced.inject({ method: 'GET', url })).statusCode, 200, url);
    }
    assert.deepEqual(
      exporter.getFinishedSpans().map((s) => s.name),
      [],
    );
  });
});
