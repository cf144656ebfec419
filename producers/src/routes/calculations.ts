/** Start a calculation, read its result, cancel it. */
import type { FastifyPluginAsync } from 'fastify';
import { Calculations, endedAs } from '../calculations';
import type { ApiConfig } from '../config';
import { parseIdempotencyKey, parseNumber, parseWait } from '../inputs';
import { cancelSchema, resultSchema, startSchema } from '../schemas';

export interface CalculationRoutesOptions {
  calculations: Calculations;
  config: Pick<ApiConfig, 'maxInputDigits' | 'maxResultWaitSeconds'>;
}

const calculationRoutes: FastifyPluginAsync<CalculationRoutesOptions> = async (app, { calculations, config }) => {
  app.post<{ Querystring: { number?: unknown } }>(
    '/',
    { schema: startSchema(config.maxInputDigits), attachValidation: true },
    async (request, reply) => {
      // Validation is ours, not the schema's, so every bad input gets the same precise message.
      const number = parseNumber(request.query.number, config.maxInputDigits);
      const key = parseIdempotencyKey(request.headers['idempotency-key']);
      const { workflowId, replayed } = await calculations.start(number, key);
      request.log.info({ workflowId, replayed }, replayed ? 'calculation already started' : 'calculation started');
      if (replayed) reply.header('idempotent-replayed', 'true');
      return reply
        .code(202)
        .header('location', `/result/${encodeURIComponent(workflowId)}`)
        .send({ message: 'workflow started', workflow_id: workflowId });
    },
  );

  app.get<{ Params: { workflow_id: string }; Querystring: { wait?: unknown } }>(
    '/result/:workflow_id',
    { schema: resultSchema(config.maxResultWaitSeconds), attachValidation: true },
    async (request, reply) => {
      const wait = parseWait(request.query.wait, config.maxResultWaitSeconds);
      const found = await calculations.find(request.params.workflow_id);
      const { description, result } = await calculations.waitForEnd(found, wait);
      if (result !== undefined)
        return reply.code(200).send({ message: 'completed', workflow_id: found.handle.workflowId, result });
      const ended = endedAs(description);
      if (ended !== undefined) return reply.code(200).send(await calculations.outcome(found.handle, ended));
      const steps = await calculations.steps(found.handle);
      return reply
        .code(202)
        .header('retry-after', '1')
        .send({ message: 'running', workflow_id: found.handle.workflowId, steps });
    },
  );

  app.post<{ Params: { workflow_id: string } }>(
    '/workflows/:workflow_id/cancel',
    { schema: cancelSchema },
    async (request, reply) => {
      const id = request.params.workflow_id;
      await calculations.cancel(id);
      request.log.info({ workflowId: id }, 'cancellation requested');
      return reply
        .code(202)
        .header('location', `/result/${encodeURIComponent(id)}`)
        .send({ message: 'cancellation requested', workflow_id: id });
    },
  );
};

export default calculationRoutes;
