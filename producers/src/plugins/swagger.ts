/**
 * The OpenAPI document at /openapi.json, built from the route schemas, and Swagger UI at
 * /docs, served from local files.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';

export default fp(async (app) => {
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Polyglot calculation API',
        version: '1.0.0',
        description:
          'Starts a durable Temporal workflow that computes number^48 in three steps, served by ' +
          'workers written in Python, Go and TypeScript, and reads its result.',
      },
      tags: [
        { name: 'calculations', description: 'Start a calculation, read its result, cancel it' },
        { name: 'operations', description: 'Health of the service' },
      ],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      // Documented always; enforced only when API_TOKEN is set.
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
});
