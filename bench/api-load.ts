/**
 * The REST API alone, under autocannon: requests per second for reading a finished
 * calculation and for starting one. Only the server's answers are checked (every one must be
 * 2xx); the calculations that POST / starts are left for the stack to drain.
 */
import autocannon from 'autocannon';

export interface ApiLoadResult {
  endpoint: string;
  connections: number;
  seconds: number;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  completed: number;
  errors: number;
  statusCodes: Record<string, number>;
}

export async function apiLoad(
  endpoint: string,
  url: string,
  method: 'GET' | 'POST',
  seconds: number,
  connections: number,
): Promise<ApiLoadResult> {
  const r = await autocannon({ url, method, connections, duration: seconds });
  const statusCodes = Object.fromEntries(Object.entries(r.statusCodeStats).map(([code, s]) => [code, s.count]));
  return {
    endpoint,
    connections,
    seconds: r.duration,
    requestsPerSecond: r.requests.total / r.duration,
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
    completed: r.requests.total,
    // autocannon counts a timeout among its errors already; an answer other than 2xx is one too.
    errors: r.errors + r.non2xx,
    statusCodes,
  };
}
