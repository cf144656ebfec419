/** Start a calculation, read its result, cancel it. */
import type { FastifyPluginAsync } from 'fastify';
import { Calculations, workerVersion } from '../calculations';
import { idempotencyKeyInput, inputErrors, numberInput, queryNumbersAsSent, waitInput } from '../inputs';
import { cancelSchema, resultSchema, startSchema, type SchemaOptions } from '../schemas';

const calculationRoutes: FastifyPluginAsync<{ calculations: Calculations; schemaOptions: SchemaOptions }> = async (
  app,
  { calculations, schemaOptions },
) => {
  app.post<{ Querystring: { number: string }; Headers: { 'idempotency-key'?: string } }>(
    '/',
    {
      schema: startSchema(schemaOptions),
      schemaErrorFormatter: inputErrors({
        querystring: { number: numberInput(schemaOptions.maxInputDigits) },
        headers: { 'idempotency-key': idempotencyKeyInput },
      }),
    },
    async (request, reply) => {
      // The canonical form: no leading zeros, no minus zero.
      const number = BigInt(request.query.number).toString();
      const { workflowId, replayed } = await calculations.start(number, request.headers['idempotency-key']);
      request.log.info({ workflowId, replayed }, replayed ? 'calculation already started' : 'calculation started');
      if (replayed) reply.header('idempotent-replayed', 'true');
      return reply
        .code(202)
        .header('location', `/result/${encodeURIComponent(workflowId)}`)
        .send({ message: 'workflow started', workflow_id: workflowId });
    },
  );

  const resultQuery = { wait: waitInput(schemaOptions.maxResultWaitSeconds) };
  app.get<{ Params: { workflow_id: string }; Querystring: { wait: number } }>(
    '/result/:workflow_id',
    {
      schema: resultSchema(schemaOptions),
      preValidation: queryNumbersAsSent(resultQuery),
      schemaErrorFormatter: inputErrors({ querystring: resultQuery }),
    },
    async (request, reply) => {
      const { found, outcome } = await calculations.settle(request.params.workflow_id, request.query.wait);
      const worker_version = workerVersion(found.description);
      if (outcome !== undefined) return reply.code(200).send({ ...outcome, worker_version });
      const steps = await calculations.steps(found.handle);
      return reply
        .code(202)
        .header('retry-after', '1')
        .send({ message: 'running', workflow_id: found.handle.workflowId, steps, worker_version });
    },
  );

  app.post<{ Params: { workflow_id: string } }>(
    '/workflows/:workflow_id/cancel',
    { schema: cancelSchema(schemaOptions) },
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
