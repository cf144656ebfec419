/** Start a calculation, read its result, cancel it. */
import type { FastifyPluginAsync } from 'fastify';
import { Calculations, workerVersion } from '../calculations';
import { idempotencyKeyInput, inputErrors, numberInput, queryNumbersAsSent, runIdInput, waitInput } from '../inputs';
import { cancelSchema, resultSchema, startSchema, type SchemaOptions } from '../schemas';

/** Where the result of a calculation is read: naming the run spares the server a lookup per read. */
const resultUrl = (workflowId: string, runId: string) =>
  `/result/${encodeURIComponent(workflowId)}?run_id=${encodeURIComponent(runId)}`;

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
      const { workflowId, runId, replayed } = await calculations.start(number, request.headers['idempotency-key']);
      // Named in the request's own line (app.ts), not in a line of its own: one line per request.
      request.log = request.log.child({ workflowId, replayed });
      if (replayed) reply.header('idempotent-replayed', 'true');
      return reply
        .code(202)
        .header('location', resultUrl(workflowId, runId))
        .send({ message: 'workflow started', workflow_id: workflowId, run_id: runId });
    },
  );

  const resultQuery = { wait: waitInput(schemaOptions.maxResultWaitSeconds), run_id: runIdInput };
  app.get<{ Params: { workflow_id: string }; Querystring: { wait: number; run_id?: string } }>(
    '/result/:workflow_id',
    {
      schema: resultSchema(schemaOptions),
      preValidation: queryNumbersAsSent(resultQuery),
      schemaErrorFormatter: inputErrors({ querystring: resultQuery }),
    },
    async (request, reply) => {
      const { params, query } = request;
      const { found, outcome } = await calculations.settle(params.workflow_id, query.wait, query.run_id);
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
      const { runId } = await calculations.cancel(id);
      request.log = request.log.child({ workflowId: id });
      return reply
        .code(202)
        .header('location', resultUrl(id, runId))
        .send({ message: 'cancellation requested', workflow_id: id });
    },
  );
};

export default calculationRoutes;
