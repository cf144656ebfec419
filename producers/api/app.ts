/**
 * The REST API as a Fastify instance, built around one Temporal client that the caller owns.
 * Nothing here reads the environment or listens on a port (see server.ts), so tests drive it
 * with `app.inject`. Each concern is a plugin of its own under plugins/, the routes are under
 * routes/.
 */
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { Calculations } from './calculations';
import type { ApiConfig } from './config';
import auth from './plugins/auth';
import cors from './plugins/cors';
import errors from './plugins/errors';
import { methodNotAllowed } from './plugins/methods';
import metrics from './plugins/metrics';
import swagger from './plugins/swagger';
import tracing from './plugins/tracing';
import calculationRoutes from './routes/calculations';
import codecRoutes from './routes/codec';
import probeRoutes from './routes/probes';
import type { SchemaOptions } from './schemas';

export interface AppDeps {
  client: Client;
  config: ApiConfig;
  /** Pino, as createLogger of @calc/runtime makes it; none by default. */
  logger?: FastifyBaseLogger;
  /** What the codec routes encode and decode with; without one they leave payloads plain. */
  codec?: PayloadCodec;
}

export async function buildApp({ client, config, logger, codec }: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger,
    // One line per request, once answered (below), instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024,
    // The codec routes take JSON maps with keys of the caller's choosing: a `__proto__` or
    // `constructor.prototype` key is dropped (it can be no payload's metadata), not a 400.
    onProtoPoisoning: 'remove',
    onConstructorPoisoning: 'remove',
    routerOptions: { maxParamLength: 500 },
    ajv: {
      customOptions: {
        // `example` only documents a value in the OpenAPI output.
        keywords: ['example'],
        // Puts the failing value into each validation error, for the messages of inputs.ts.
        verbose: true,
      },
    },
  });
  const schemaOptions: SchemaOptions = {
    maxInputDigits: config.maxInputDigits,
    maxResultWaitSeconds: config.maxResultWaitSeconds,
    tokenRequired: Boolean(config.apiToken),
  };
  // Tracing, the OpenAPI document and the method check see routes added after them only:
  // they come first.
  const answerOtherMethods = methodNotAllowed(app);
  app.addHook('onResponse', async (request, reply) => {
    request.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  });
  await app.register(tracing);
  await app.register(swagger, schemaOptions);
  await app.register(metrics, schemaOptions);
  // A CORS preflight carries no token: answered before the bearer check.
  await app.register(cors, { origin: config.codecCorsOrigin });
  await app.register(auth, { token: config.apiToken });
  await app.register(errors);
  await app.register(probeRoutes, { client });
  await app.register(calculationRoutes, {
    calculations: new Calculations(client, config.workflowOptions, config.eagerStart),
    schemaOptions,
  });
  await app.register(codecRoutes, { codec, schemaOptions });
  answerOtherMethods();
  return app;
}
