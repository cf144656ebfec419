/**
 * The OpenAPI document at /openapi.json, built from the route schemas, and Swagger UI at
 * /docs, served from local files. The document describes the server as it runs: the bearer
 * scheme appears only when API_TOKEN is set.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { RESULT_FORMULA, STEPS } from '@calc/contracts';
import type { SchemaOptions } from '../schemas';

/** Where the id a start answers with leads: read the result, or cancel. */
const FROM_START = {
  GetResult: {
    operationId: 'getResult',
    parameters: { workflow_id: '$response.body#/workflow_id', run_id: '$response.body#/run_id' },
    description: 'The calculation just started: its state or result.',
  },
  CancelCalculation: {
    operationId: 'cancelCalculation',
    parameters: { workflow_id: '$response.body#/workflow_id' },
    description: 'Cancel the calculation just started.',
  },
};

type Paths = Record<string, Record<string, { responses?: Record<string, { links?: unknown }> }>>;

export default fp<SchemaOptions>(async (app, { tokenRequired }) => {
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Polyglot calculation API',
        version: '1.0.0',
        description:
          `Starts a durable Temporal workflow that computes ${RESULT_FORMULA} in ${STEPS.length} steps, served by ` +
          `workers written in ${STEPS.map((s) => s.language).join(', ')}, and reads its result.`,
      },
      tags: [
        { name: 'calculations', description: 'Start a calculation, read its result, cancel it' },
        { name: 'operations', description: 'Health of the service' },
        { name: 'codec', description: 'Encrypt and decrypt payloads for the Temporal UI and CLI' },
      ],
      ...(tokenRequired && {
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
      }),
    },
    // OpenAPI links are not part of Fastify's route schemas: added to the finished document.
    transformObject: (documentObject) => {
      const document = 'openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject;
      const started = (document.paths as Paths | undefined)?.['/']?.post?.responses?.['202'];
      if (started) started.links = FROM_START;
      return document;
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
});
