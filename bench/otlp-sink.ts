/**
 * Where the traced stack of the comparison sends its spans: an OTLP/HTTP endpoint that reads
 * and drops every request and answers 200 with an empty export response, so that tracing
 * costs the stack what it would cost with a collector, and the benchmark only a read.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OtlpSink {
  /** The value for OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  /** Requests received so far: proof that spans arrived. */
  requests: () => number;
  close: () => Promise<void>;
}

export async function otlpSink(): Promise<OtlpSink> {
  let requests = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests += 1;
      // An empty protobuf message is a valid ExportTraceServiceResponse: nothing rejected.
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
