/**
 * Every error answers with the same JSON body: `statusCode`, `error` and `message`. Messages
 * of 4xx errors (ours from @fastify/sensible's httpErrors, and Fastify's own) are meant for the
 * caller; a 5xx shows no internals, and an unreachable Temporal is a 503.
 */
import { STATUS_CODES } from 'node:http';
import { status as grpcStatus } from '@grpc/grpc-js';
import fp from 'fastify-plugin';
import { grpcStatusOf } from '../calculations';

const RETRY = new Set([
  grpcStatus.UNAVAILABLE,
  grpcStatus.DEADLINE_EXCEEDED,
  grpcStatus.CANCELLED,
  grpcStatus.INTERNAL,
  grpcStatus.UNKNOWN,
]);

const errorBody = (statusCode: number, message: string) => ({ statusCode, error: STATUS_CODES[statusCode], message });

export default fp(async (app) => {
  app.setErrorHandler<Error & { statusCode?: number }>((err, request, reply) => {
    const code = err.statusCode;
    if (code !== undefined && code >= 400 && code < 500) return reply.code(code).send(errorBody(code, err.message));
    const grpc = grpcStatusOf(err);
    // No answer in time (the client's own deadline shows as CANCELLED), or the server's own
    // failure, which it words "something went wrong, please retry": a node of a cluster that
    // died or lost a shard mid-call, say. The caller is told to do just that.
    if (grpc !== undefined && RETRY.has(grpc)) {
      request.log.warn({ err }, 'Temporal is unreachable');
      return reply.code(503).send(errorBody(503, 'Temporal is unreachable; try again shortly'));
    }
    request.log.error({ err }, 'request failed');
    return reply.code(500).send(errorBody(500, 'internal error; see the API log'));
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody(404, `no route ${request.method} ${request.url.split('?')[0]}`)),
  );
});
