/**
 * Cross-origin access for the Temporal UI, whose page calls the codec routes from the browser:
 * only those routes, only from CODEC_CORS_ORIGIN, with the headers the UI sends and its
 * cookies allowed. Registered before the bearer check, so that a preflight (which never
 * carries a token) is answered first. Other origins get no CORS headers: the browser refuses.
 */
import cors, { type FastifyCorsOptions } from '@fastify/cors';
import fp from 'fastify-plugin';
import { CODEC_PREFIX } from '../routes/codec';

export default fp<{ origin?: string }>(async (app, { origin }) => {
  if (!origin) return;
  const codec: FastifyCorsOptions = {
    origin: (requestOrigin, callback) => callback(null, requestOrigin === origin),
    methods: ['POST'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Namespace'],
    credentials: true,
    maxAge: 600,
  };
  await app.register(cors, {
    delegator: (request, callback) =>
      callback(null, request.routeOptions.url?.startsWith(`${CODEC_PREFIX}/`) ? codec : { origin: false }),
  });
});
