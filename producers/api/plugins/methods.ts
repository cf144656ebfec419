/**
 * A method that no route serves on a path that exists answers 405 with an `Allow` header
 * (RFC 9110), not 404: "this resource is here, but not for that". Fastify's router only knows
 * routes, so every other method Fastify supports gets a route of its own on each documented
 * path.
 */
import type { FastifyInstance } from 'fastify';
import { httpErrors } from '@fastify/sensible';

/**
 * Records the routes added from now on; the returned function, called once every route is
 * there, adds the 405 answers.
 */
export function methodNotAllowed(app: FastifyInstance): () => void {
  // Per path: its methods, and whether it is served without the bearer token (see auth.ts).
  const paths = new Map<string, { methods: Set<string>; public: boolean }>();
  let complete = false;
  app.addHook('onRoute', (route) => {
    // Only the paths the OpenAPI document lists: Swagger UI's own pages stay as they are.
    if (complete || route.schema?.hide) return;
    const served = paths.get(route.url) ?? { methods: new Set<string>(), public: false };
    for (const method of [route.method].flat()) served.methods.add(method);
    // Fastify answers HEAD wherever it answers GET.
    if (served.methods.has('GET')) served.methods.add('HEAD');
    served.public ||= route.config?.public === true;
    paths.set(route.url, served);
  });
  return () => {
    complete = true;
    for (const [url, served] of paths) {
      const allow = [...served.methods].sort().join(', ');
      const others = app.supportedMethods.filter((m) => !served.methods.has(m));
      if (others.length === 0) continue;
      app.route({
        method: others,
        url,
        schema: { hide: true },
        config: { public: served.public, otel: false },
        // Answered before Fastify reads a body, whose absence or type would otherwise decide.
        onRequest: async (request, reply) => {
          reply.header('allow', allow);
          throw httpErrors.methodNotAllowed(
            `${request.method} is not allowed on ${request.url.split('?')[0]}; it allows ${allow}`,
          );
        },
        handler: async () => undefined,
      });
    }
  };
}
