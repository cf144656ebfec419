/**
 * What callers may send, each rule declared once from contract.json: the JSON schema that
 * Fastify's validator enforces and the OpenAPI document shows, and the message a caller gets
 * when a request breaks it, made from the validator's own error. Each message names the
 * parameter, the rule and the value, so a caller can correct the request from it alone.
 */
import type { FastifySchemaValidationError, preValidationAsyncHookHandler } from 'fastify';
import contract from '@calc/contracts/contract.json';
import { httpErrors } from '@fastify/sensible';

const api = contract.api;

/** Where a route's inputs are, as Fastify names them for its schemaErrorFormatter. */
type Location = 'body' | 'headers' | 'params' | 'querystring';

/** A validator error; Ajv's `verbose` option (see app.ts) adds the value that failed. */
type ValidationError = FastifySchemaValidationError & { data?: unknown };

/** How a value appears in a message: as JSON, a long string cut after 40 characters. */
function shown(value: unknown): string {
  if (typeof value === 'string' && value.length > 40) return `${JSON.stringify(value.slice(0, 40))}...`;
  return JSON.stringify(value) ?? String(value);
}

/** One input: its schema and the message for a validator error about it. */
export interface Input {
  schema: Record<string, unknown>;
  message: (error: Pick<ValidationError, 'keyword' | 'schemaPath' | 'data'>) => string;
}

export function numberInput(maxDigits: number): Input {
  const rule = `number must be ${api.number.rule.replace('{maxDigits}', String(maxDigits))}`;
  return {
    schema: {
      type: 'string',
      description: `${api.number.rule.replace('{maxDigits}', String(maxDigits))}; leading zeros are dropped.`,
      // Two steps, so that a value of digits that is only too long gets its own message.
      allOf: [{ pattern: contract.payload.pattern }, { pattern: `^-?[0-9]{1,${maxDigits}}$` }],
      example: api.number.example,
    },
    message: (error) => {
      if (error.keyword === 'required') return `number is required: ${rule}, e.g. POST /?number=${api.number.example}`;
      // The query parser gives a repeated parameter as an array.
      if (Array.isArray(error.data)) return `number must be given once: ${rule}`;
      if (error.schemaPath.endsWith('/allOf/1/pattern')) {
        const digits = String(error.data).replace(/^-/, '').length;
        return `${rule}; got ${digits} digits (the bound is MAX_INPUT_DIGITS)`;
      }
      return `${rule}; got ${shown(error.data)}`;
    },
  };
}

export function waitInput(maxSeconds: number): Input {
  const rule = api.wait.rule.replace('{maxSeconds}', String(maxSeconds));
  return {
    schema: {
      type: 'number',
      minimum: 0,
      maximum: maxSeconds,
      default: 0,
      description: `Seconds to wait for the end of a running calculation: ${rule} (default 0).`,
      example: 10,
    },
    message: (error) => `wait must be ${rule}; got ${shown(error.data)}`,
  };
}

export const runIdInput: Input = {
  schema: {
    type: 'string',
    format: 'uuid',
    description: `Optional: ${api.runId.rule}, as in its \`Location\`. With it the server reads that run without first looking up the current one.`,
  },
  message: (error) => `${api.runId.parameter} must be ${api.runId.rule}; got ${shown(error.data)}`,
};

export const idempotencyKeyInput: Input = {
  schema: {
    type: 'string',
    pattern: api.idempotencyKey.pattern,
    // No example: Swagger UI's "Try it out" would fill it in, and every try would then replay
    // the first calculation instead of starting one.
    description: `${api.idempotencyKey.rule}; the same key always names the same calculation.`,
  },
  message: () => `${api.idempotencyKey.header} must be ${api.idempotencyKey.rule}`,
};

/**
 * Fastify's schemaErrorFormatter for a route whose inputs are `inputs`, keyed by where they
 * are (`querystring`, `headers`, `params`) and their name there.
 */
export function inputErrors(inputs: Partial<Record<Location, Record<string, Input>>>) {
  return (errors: ValidationError[], dataVar: Location): Error => {
    // Fastify's validator stops at the first error (allErrors is off).
    const error = errors[0]!;
    // Parameter names hold neither '/' nor '~', so the JSON pointer needs no unescaping.
    const name =
      error.keyword === 'required' ? String(error.params.missingProperty) : (error.instancePath.split('/')[1] ?? '');
    const input = inputs[dataVar]?.[name];
    return new Error(input ? input.message(error) : `${dataVar}${error.instancePath} ${error.message ?? 'is invalid'}`);
  };
}

/** A number as JSON writes it: what the OpenAPI document's `type: number` means in a query. */
const JSON_NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

/**
 * A preValidation hook that holds the query's number inputs to their documented type as sent.
 * Ajv's type coercion reads any string that JavaScript's `Number()` takes: `?wait=%0D` or
 * `?wait=%20` would be 0 seconds, `?wait=0x10` 16. Such a value gets the input's own 400.
 */
export function queryNumbersAsSent(inputs: Record<string, Input>): preValidationAsyncHookHandler {
  const numbers = Object.entries(inputs).filter(([, input]) => input.schema.type === 'number');
  return async (request) => {
    const query = request.query as Record<string, unknown>;
    for (const [name, input] of numbers) {
      const value = query[name];
      // Absent takes the default; a repeated parameter (an array) is the schema's to reject.
      if (typeof value !== 'string' || JSON_NUMBER.test(value)) continue;
      throw httpErrors.badRequest(
        input.message({ keyword: 'type', schemaPath: `#/properties/${name}/type`, data: value }),
      );
    }
  };
}
