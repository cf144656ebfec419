/**
 * With API_TOKEN set, every route but the probes (config `public: true`) answers 401 unless the
 * request carries `Authorization: Bearer <API_TOKEN>`; @fastify/bearer-auth compares in
 * constant time.
 */
import bearerAuth from '@fastify/bearer-auth';
import fp from 'fastify-plugin';
import { httpErrors } from '@fastify/sensible';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without the bearer token: orchestrators probe these without credentials. */
    public?: boolean;
  }
}

export default fp<{ token?: string }>(async (app, { token }) => {
  if (!token) return;
  // No hook of the plugin's own: it cannot exempt routes nor add WWW-Authenticate.
  await app.register(bearerAuth, { keys: [token], addHook: false, verifyErrorLogLevel: 'warn' });
  const verify = app.verifyBearerAuth!;
  app.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.config.public) return done();
    verify(request, reply, (err) => {
      if (!err) return done();
      reply.header('www-authenticate', 'Bearer');
      done(httpErrors.unauthorized('missing or wrong bearer token: send Authorization: Bearer <API_TOKEN>'));
    });
  });
});
