/**
 * JSON schemas of the API, declared once: Fastify validates requests and serialises answers
 * with them, and the OpenAPI document at /openapi.json is built from them. Input rules come
 * from inputs.ts, names and examples from the contract.
 */
import { STATUS_CODES } from 'node:http';
import { calculate, RESULT_FORMULA, STEPS } from '@calc/contracts';
import contract from '@calc/contracts/contract.json';
import { idempotencyKeyInput, numberInput, runIdInput, waitInput } from './inputs';

/** What the document shows of the inputs and answers; it follows the running configuration. */
export interface SchemaOptions {
  maxInputDigits: number;
  maxResultWaitSeconds: number;
  /** With a token, every route but the probes may answer 401. */
  tokenRequired: boolean;
}

const EXAMPLE_NUMBER = contract.api.number.example;
const EXAMPLE_RESULT = calculate(BigInt(EXAMPLE_NUMBER)).toString();
const EXAMPLE_ID = 'calculate-5b0c7c1e-7d1f-4c55-9a53-0e0b9f6a3f10';
const EXAMPLE_RUN_ID = '0193e2a4-5b6c-7d8e-9f01-23456789abcd';

/** The body of every error answer with status `code`. */
export function error(code: number, description: string, headers?: Record<string, unknown>) {
  return {
    description,
    ...(headers && { headers }),
    type: 'object',
    required: ['statusCode', 'error', 'message'],
    properties: {
      statusCode: { type: 'integer', enum: [code] },
      error: { type: 'string', enum: [STATUS_CODES[code]] },
      message: { type: 'string' },
    },
  } as const;
}

/** The answers every guarded route may give besides its own. */
export function commonErrors({ tokenRequired }: SchemaOptions, temporal = true) {
  return {
    ...(tokenRequired && {
      401: error(401, 'API_TOKEN is set and the bearer token is missing or wrong.', {
        'WWW-Authenticate': { type: 'string', enum: ['Bearer'] },
      }),
    }),
    500: error(500, 'An unexpected failure; the API logs it, the answer shows no details.'),
    ...(temporal && {
      503: error(503, 'Temporal did not answer, or asked for a retry; try again shortly.'),
    }),
  };
}

const workflowId = { type: 'string', example: EXAMPLE_ID } as const;
const location = { Location: { type: 'string', description: 'Where to read the result.' } };

const workflowIdParam = {
  type: 'object',
  required: ['workflow_id'],
  properties: { workflow_id: { ...workflowId, description: 'The id returned by POST /.' } },
} as const;

/** An answer about one calculation: its `message`, one of `messages`, its id and `more`. */
function calculation<T>(messages: string[], more?: T) {
  return {
    type: 'object',
    required: ['message', 'workflow_id'],
    properties: { message: { type: 'string', enum: messages }, workflow_id: workflowId, ...more },
  } as const;
}

const step = {
  type: 'object',
  required: ['activity', 'task_queue', 'language', 'status'],
  properties: {
    activity: { type: 'string', enum: STEPS.map((s) => s.activity) },
    task_queue: { type: 'string', enum: STEPS.map((s) => s.taskQueue) },
    language: { type: 'string', enum: STEPS.map((s) => s.language) },
    status: { type: 'string', enum: ['pending', 'running', 'completed', 'failed'] },
    input: { type: 'string' },
    output: { type: 'string' },
  },
} as const;

const workerVersion = {
  type: 'object',
  description:
    'The Worker Deployment version of the workflow worker that runs the calculation (pinned to it); ' +
    'absent while no worker has taken it, and for a worker without versioning.',
  required: ['deployment', 'build_id'],
  properties: {
    deployment: { type: 'string', example: contract.deployment.defaultName },
    build_id: { type: 'string', example: '3f2c1a9' },
  },
} as const;

export function startSchema(options: SchemaOptions) {
  return {
    operationId: 'startCalculation',
    summary: `Start a calculation of ${RESULT_FORMULA}`,
    description:
      `Starts ${contract.workflow.type}, which sends the number through ` +
      `${STEPS.map((s) => `${s.activity} (${s.language})`).join(', ')}. Answers at once with the ` +
      'workflow id; read the result at the `Location` it returns. With an `Idempotency-Key` header, a ' +
      'repeat of the same request starts nothing and returns the same `workflow_id`.',
    tags: ['calculations'],
    headers: {
      type: 'object',
      properties: { 'idempotency-key': idempotencyKeyInput.schema },
    },
    querystring: {
      type: 'object',
      required: ['number'],
      properties: { number: numberInput(options.maxInputDigits).schema },
    },
    response: {
      202: {
        description: 'The calculation started, or had started already under this Idempotency-Key.',
        headers: {
          ...location,
          'Idempotent-Replayed': {
            type: 'string',
            enum: ['true'],
            description: 'Present when an earlier request with the same Idempotency-Key started it.',
          },
        },
        ...calculation(['workflow started'], {
          run_id: { type: 'string', format: 'uuid', example: EXAMPLE_RUN_ID, description: 'The run it started.' },
        }),
      },
      400: error(400, '`number` or `Idempotency-Key` breaks its rule; the message names it.'),
      409: error(409, 'The Idempotency-Key was already used for another number.'),
      ...commonErrors(options),
    },
  };
}

export function resultSchema(options: SchemaOptions) {
  return {
    operationId: 'getResult',
    summary: 'Read the state or result of a calculation',
    description:
      'Never blocks longer than `wait` seconds. 200 means the calculation has ended (see `message`), ' +
      '202 that it is still running.',
    tags: ['calculations'],
    params: workflowIdParam,
    querystring: {
      type: 'object',
      properties: { wait: waitInput(options.maxResultWaitSeconds).schema, run_id: runIdInput.schema },
    },
    response: {
      200: {
        description:
          'The calculation ended: `completed` with `result`, or `failed`, `cancelled`, `terminated`, ' +
          '`timed_out` with `reason`.',
        ...calculation(['completed', 'failed', 'cancelled', 'terminated', 'timed_out'], {
          result: { type: 'string', description: `${RESULT_FORMULA} in base 10, exact.`, example: EXAMPLE_RESULT },
          reason: { type: 'string' },
          error_type: { type: 'string', example: contract.invalidNumberErrorType },
          worker_version: workerVersion,
        }),
      },
      202: {
        description: 'Still running; `steps` shows where it is (absent when no workflow worker answers in time).',
        headers: { 'Retry-After': { type: 'string', description: 'Seconds until asking again is worthwhile.' } },
        ...calculation(['running'], { steps: { type: 'array', items: step }, worker_version: workerVersion }),
      },
      400: error(400, '`wait` is not a number of seconds within the bound, or `run_id` is not a UUID.'),
      404: error(404, 'No calculation has this id (and run id, when given).'),
      ...commonErrors(options),
    },
  };
}

export function cancelSchema(options: SchemaOptions) {
  return {
    operationId: 'cancelCalculation',
    summary: 'Cancel a running calculation',
    description:
      'Asks Temporal to cancel the workflow. The step that is running hears of it through its next ' +
      'heartbeat and stops; `GET /result/{workflow_id}` then answers `cancelled`.',
    tags: ['calculations'],
    params: workflowIdParam,
    response: {
      202: {
        description: 'Cancellation requested.',
        headers: location,
        ...calculation(['cancellation requested']),
      },
      404: error(404, 'No calculation has this id.'),
      409: error(409, 'The calculation has already ended.'),
      ...commonErrors(options),
    },
  };
}
