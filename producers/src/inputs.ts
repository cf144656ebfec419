/**
 * Checks of what callers send. Each failure is an HttpError whose message names the
 * parameter and the rule, so that a caller can correct the request from the message alone.
 */
import { HttpError } from './http-error';

const DECIMAL_INTEGER = /^-?[0-9]+$/;
const SECONDS = /^[0-9]+(\.[0-9]+)?$/;
// Printable ASCII without spaces: safe in logs and in a workflow id.
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

function shown(raw: string): string {
  return raw.length > 40 ? `${JSON.stringify(raw.slice(0, 40))}...` : JSON.stringify(raw);
}

/** The validated, canonical form of `number` (no leading zeros, no minus zero). */
export function parseNumber(raw: unknown, maxDigits: number): string {
  const rule = `number must be a base-10 integer: an optional '-' followed by 1 to ${maxDigits} digits 0-9`;
  if (raw === undefined) throw new HttpError(400, `number is required: ${rule}, e.g. POST /?number=2`);
  if (typeof raw !== 'string') throw new HttpError(400, `number must be given once: ${rule}`);
  if (!DECIMAL_INTEGER.test(raw)) throw new HttpError(400, `${rule}; got ${shown(raw)}`);
  const digits = raw.replace(/^-/, '').length;
  if (digits > maxDigits) throw new HttpError(400, `${rule}; got ${digits} digits (the bound is MAX_INPUT_DIGITS)`);
  return BigInt(raw).toString();
}

/** Seconds a result request may wait for the calculation to end; 0 when not given. */
export function parseWait(raw: unknown, maxSeconds: number): number {
  if (raw === undefined || raw === '') return 0;
  const rule = `wait must be a number of seconds from 0 to ${maxSeconds}`;
  if (typeof raw !== 'string' || !SECONDS.test(raw)) throw new HttpError(400, `${rule}; got ${JSON.stringify(raw)}`);
  const seconds = Number(raw);
  if (seconds > maxSeconds) throw new HttpError(400, `${rule}; got ${raw}`);
  return seconds;
}

/** The Idempotency-Key header, if the caller sent one. */
export function parseIdempotencyKey(raw: string | string[] | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !IDEMPOTENCY_KEY.test(raw)) {
    throw new HttpError(400, 'Idempotency-Key must be 1 to 200 printable ASCII characters without spaces, sent once');
  }
  return raw;
}
