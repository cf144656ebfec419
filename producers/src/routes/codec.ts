/**
 * A codec server in Temporal's remote codec protocol, so that the Temporal UI and CLI show
 * the payloads they cannot decrypt: POST /codec/encode and /codec/decode take and answer
 * `{"payloads": [...]}`, each Payload in its JSON form (metadata values and data in base64),
 * through the same codec as every process of the pipeline.
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
import Ajv, { type AnySchema } from 'ajv';
import type { FastifyPluginAsync, FastifySchemaCompiler } from 'fastify';
import { HttpError } from '../http-error';
import { BASE64, codecSchema, type SchemaOptions } from '../schemas';

export const CODEC_PREFIX = '/codec';

/** A history's worth of payloads in one call; gRPC's default message limit is the same. */
const BODY_LIMIT = 4 * 1024 * 1024;

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}
interface CodecBody {
  payloads: JsonPayload[];
}

const fromJson = ({ metadata = {}, data }: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  ...(data !== undefined && { data: Buffer.from(data, 'base64') }),
});

const toJson = ({ metadata, data }: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  // Proto3's JSON form leaves out empty bytes.
  ...(data && data.length > 0 && { data: Buffer.from(data).toString('base64') }),
});

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
    app.post<{ Body: CodecBody }>(
      `${CODEC_PREFIX}/${direction}`,
      { schema: codecSchema(direction, schemaOptions), bodyLimit: BODY_LIMIT, validatorCompiler },
      async (request) => {
        let payloads: Payload[];
        try {
          payloads = await codec[direction](request.body.payloads.map(fromJson));
        } catch (err) {
          // An unknown key id or an altered payload: the message names the key, never its bytes.
          throw new HttpError(400, `cannot ${direction}: ${err instanceof Error ? err.message : String(err)}`);
        }
        return { payloads: payloads.map(toJson) };
      },
    );
  }
};

export default codecRoutes;
