/**
 * JSON schemas of the API, declared once: they drive response serialisation and the
 * OpenAPI document served at /openapi.json and /docs.
 */

export const errorBody = {
  type: 'object',
  required: ['statusCode', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer', example: 400 },
    error: { type: 'string', example: 'Bad Request' },
    message: { type: 'string' },
  },
} as const;

const unauthorized = { description: 'API_TOKEN is set and the bearer token is missing or wrong.', ...errorBody };

const workflowId = { type: 'string', example: 'calculate-2-5b0c7c1e-7d1f-4c55-9a53-0e0b9f6a3f10' } as const;

const step = {
  type: 'object',
  properties: {
    activity: { type: 'string', enum: ['power_of_2', 'power_of_4', 'power_of_6'] },
    task_queue: { type: 'string' },
    language: { type: 'string', enum: ['python', 'go', 'typescript'] },
    status: { type: 'string', enum: ['pending', 'running', 'completed', 'failed'] },
    input: { type: 'string' },
    output: { type: 'string' },
  },
} as const;

export function startSchema(maxDigits: number) {
  return {
    summary: 'Start a calculation of number^48',
    description:
      'Starts CalculateWorkflow, which sends the number through power_of_2 (Python), power_of_4 (Go) ' +
      'and power_of_6 (TypeScript). Answers at once with the workflow id; read the result at the ' +
      '`Location` it returns. With an `Idempotency-Key` header, a repeat of the same request ' +
      'starts nothing and returns the same `workflow_id`.',
    tags: ['calculations'],
    headers: {
      type: 'object',
      properties: {
        'idempotency-key': {
          type: 'string',
          description: 'Any 1 to 200 printable ASCII characters; the same key always names the same calculation.',
        },
      },
    },
    querystring: {
      type: 'object',
      required: ['number'],
      properties: {
        number: {
          type: 'string',
          description: `A base-10 integer: an optional '-' then the digits 0-9, at most ${maxDigits} digits.`,
          pattern: '^-?[0-9]+$',
          example: '2',
        },
      },
    },
    response: {
      202: {
        description: 'The calculation started.',
        headers: { Location: { type: 'string', description: 'Where to read the result.' } },
        type: 'object',
        required: ['message', 'workflow_id'],
        properties: { message: { type: 'string', example: 'workflow started' }, workflow_id: workflowId },
      },
      400: { description: '`number` is missing or is not a base-10 integer within the bound.', ...errorBody },
      401: unauthorized,
      409: { description: 'The Idempotency-Key was already used for another number.', ...errorBody },
      503: { description: 'Temporal is unreachable.', ...errorBody },
    },
  };
}

export function resultSchema(maxWaitSeconds: number) {
  return {
    summary: 'Read the state or result of a calculation',
    description:
      'Never blocks longer than `wait` seconds. 200 means the calculation has ended (see `message`), ' +
      '202 that it is still running.',
    tags: ['calculations'],
    params: {
      type: 'object',
      required: ['workflow_id'],
      properties: { workflow_id: { type: 'string', description: 'The id returned by POST /.' } },
    },
    querystring: {
      type: 'object',
      properties: {
        wait: {
          type: 'string',
          description: `Seconds to wait for the end of a running calculation (0 to ${maxWaitSeconds}; default 0).`,
          example: '10',
        },
      },
    },
    response: {
      200: {
        description:
          'The calculation ended: `completed` with `result`, or `failed`, `cancelled`, `terminated`, ' +
          '`timed_out` with `reason`.',
        type: 'object',
        required: ['message', 'workflow_id'],
        properties: {
          message: { type: 'string', enum: ['completed', 'failed', 'cancelled', 'terminated', 'timed_out'] },
          workflow_id: workflowId,
          result: { type: 'string', description: 'number^48 in base 10, exact.', example: '281474976710656' },
          reason: { type: 'string' },
          error_type: { type: 'string', example: 'InvalidNumber' },
        },
      },
      202: {
        description: 'Still running; `steps` shows where it is.',
        type: 'object',
        required: ['message', 'workflow_id'],
        properties: {
          message: { type: 'string', enum: ['running'] },
          workflow_id: workflowId,
          steps: { type: 'array', items: step },
        },
      },
      400: { description: '`wait` is not a number of seconds within the bound.', ...errorBody },
      401: unauthorized,
      404: { description: 'No calculation has this id.', ...errorBody },
      503: { description: 'Temporal is unreachable.', ...errorBody },
    },
  };
}

export const cancelSchema = {
  summary: 'Cancel a running calculation',
  description:
    'Asks Temporal to cancel the workflow. The step that is running hears of it through its next ' +
    'heartbeat and stops; `GET /result/{workflow_id}` then answers `cancelled`.',
  tags: ['calculations'],
  params: {
    type: 'object',
    required: ['workflow_id'],
    properties: { workflow_id: { type: 'string' } },
  },
  response: {
    202: {
      description: 'Cancellation requested.',
      type: 'object',
      properties: { message: { type: 'string', example: 'cancellation requested' }, workflow_id: workflowId },
    },
    401: unauthorized,
    404: { description: 'No calculation has this id.', ...errorBody },
    409: { description: 'The calculation has already ended.', ...errorBody },
    503: { description: 'Temporal is unreachable.', ...errorBody },
  },
} as const;

export const healthSchema = {
  summary: 'Liveness: the API process is up',
  description:
    'Always 200 while the process serves HTTP; checks nothing else, so that an outage of Temporal ' +
    'never gets the API restarted. Use `/ready` to know whether a calculation can be started.',
  tags: ['operations'],
  security: [],
  response: {
    200: {
      description: 'The process is up.',
      type: 'object',
      properties: { status: { type: 'string', example: 'ok' } },
    },
  },
} as const;

const readiness = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ready', 'unavailable'] },
    temporal: { type: 'string', enum: ['reachable', 'unreachable'] },
    workflow_worker: { type: 'string', enum: ['polling', 'not polling', 'unknown'] },
  },
} as const;

export const readySchema = {
  summary: 'Readiness: Temporal answers and a workflow worker polls',
  description:
    'Asks Temporal which workers poll `calculation-task-queue` (DescribeTaskQueue). 200 when it ' +
    'answers within 2 s and a workflow worker polled in the last minute; otherwise 503, saying ' +
    'which of the two checks failed.',
  tags: ['operations'],
  security: [],
  response: {
    200: { description: 'Calculations can start and progress.', ...readiness },
    503: { description: 'Temporal is unreachable, or no workflow worker polls.', ...readiness },
  },
} as const;

export const metricsSchema = {
  summary: 'Prometheus metrics of the API',
  description:
    'Text exposition format: `calc_api_http_requests_total{method,route,status}`, the histogram ' +
    '`calc_api_http_request_duration_seconds{method,route,status}` and the Node.js process metrics ' +
    '(`calc_api_process_*`, `calc_api_nodejs_*`). Needs the bearer token when API_TOKEN is set.',
  tags: ['operations'],
  produces: ['text/plain'],
} as const;
