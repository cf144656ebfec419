/**
 * A codec server in Temporal's remote codec protocol, so that the Temporal UI and CLI show
 * the payloads they cannot decrypt: POST /codec/encode and /codec/decode take and answer
 * `{"payloads": [...]}`, each Payload in its JSON form (metadata values and data in base64),
 * through the same codec as every process of the pipeline.
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import Ajv, { type AnySchema } from 'ajv';
import type { FastifyPluginAsync, FastifySchemaCompiler } from 'fastify';
import contract from '@calc/contracts/contract.json';
import { httpErrors } from '@fastify/sensible';
import { commonErrors, error, type SchemaOptions } from '../schemas';

/** Standard base64 with padding, as Temporal's JSON form of a Payload writes bytes. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const bytes = { type: 'string', format: 'byte' } as const;

const payloads = {
  type: 'object',
  required: ['payloads'],
  properties: {
    payloads: {
      type: 'array',
      items: {
        type: 'object',
        description: 'A Temporal Payload in its JSON form: bytes in standard base64.',
        properties: {
          metadata: { type: 'object', additionalProperties: bytes, example: { encoding: 'anNvbi9wbGFpbg==' } },
          data: { ...bytes, example: 'IjIi' },
        },
      },
    },
  },
} as const;

function codecSchema(direction: 'encode' | 'decode', options: SchemaOptions) {
  const { encoding, keyIdMetadata } = contract.encryption;
  return {
    operationId: `${direction}Payloads`,
    summary: `${direction === 'encode' ? 'Encrypt' : 'Decrypt'} payloads for the Temporal UI and CLI`,
    description:
      "Temporal's remote codec protocol, for the UI's and the CLI's codec endpoint (this API's URL " +
      `followed by \`/codec\`). ${
        direction === 'encode'
          ? `Encrypts each payload as the workers do: metadata \`encoding\` = \`${encoding}\` and ` +
            `\`${keyIdMetadata}\`, data = nonce, AES-256-GCM ciphertext of the serialized payload, tag.`
          : `Decrypts each payload whose \`encoding\` is \`${encoding}\`; any other payload is returned unchanged.`
      } With PAYLOAD_ENCRYPTION=off the payloads come back unchanged.`,
    tags: ['codec'],
    headers: {
      type: 'object',
      properties: {
        'x-namespace': {
          type: 'string',
          description: 'The namespace the Temporal UI shows; the keys are the same in every namespace.',
        },
      },
    },
    body: payloads,
    response: {
      200: { description: `The payloads, ${direction}d, in the order given.`, ...payloads },
      400: error(
        400,
        direction === 'encode'
          ? 'The body is not a list of payloads in JSON form.'
          : 'The body is not a list of payloads, or one cannot be decrypted (unknown key id, altered data).',
      ),
      413: error(413, 'The body is over 4 MiB.'),
      415: error(415, 'The body is not `application/json`.'),
      ...commonErrors(options, false),
    },
  };
}

export const CODEC_PREFIX = '/codec';

/** A history's worth of payloads in one call; gRPC's default message limit is the same. */
const BODY_LIMIT = 4 * 1024 * 1024;

/** Temporal's JSON form of a Payload: protobuf's, bytes in base64, empty ones left out. */
const { Payload: ProtoPayload } = temporal.api.common.v1;
const toJson = ({ metadata, data }: Payload) =>
  ProtoPayload.toObject(ProtoPayload.create({ metadata, ...(data?.length && { data }) }), { bytes: String });

/**
 * The API's validator coerces types (`wait` comes as text); a body must not be coerced: a
 * `true` would become the valid base64 "true".
 */
const strict = new Ajv({ coerceTypes: false, keywords: ['example'], formats: { byte: BASE64 } });
const validatorCompiler: FastifySchemaCompiler<AnySchema> = ({ schema }) => strict.compile(schema);

/** With PAYLOAD_ENCRYPTION=off payloads are plain: both directions leave them unchanged. */
const PLAIN: PayloadCodec = { encode: async (p) => p, decode: async (p) => p };

const codecRoutes: FastifyPluginAsync<{ codec?: PayloadCodec; schemaOptions: SchemaOptions }> = async (
  app,
  { codec = PLAIN, schemaOptions },
) => {
  for (const direction of ['encode', 'decode'] as const) {
    app.post<{ Body: { payloads: Record<string, unknown>[] } }>(
      `${CODEC_PREFIX}/${direction}`,
      { schema: codecSchema(direction, schemaOptions), bodyLimit: BODY_LIMIT, validatorCompiler },
      async (request) => {
        let payloads: Payload[];
        try {
          payloads = await codec[direction](request.body.payloads.map((p) => ProtoPayload.fromObject(p)));
        } catch (err) {
          // An unknown key id or an altered payload: the message names the key, never its bytes.
          throw httpErrors.badRequest(`cannot ${direction}: ${err instanceof Error ? err.message : String(err)}`);
        }
        return { payloads: payloads.map(toJson) };
      },
    );
  }
};

export default codecRoutes;
