/**
 * The cross-language contract as TypeScript constants. The values come straight from
 * contract.json, the file the Python and Go suites check their own constants against.
 */
import contract from './contract.json';

/** One step as contract.json lists it; names, languages and enums all come from that list. */
export type Step = Readonly<(typeof contract.steps)[number]>;
export type StepName = Step['activity'];
export type WorkerLanguage = Step['language'];

export const WORKFLOW_TYPE = contract.workflow.type;
export const WORKFLOW_TASK_QUEUE = contract.workflow.taskQueue;
export const PROGRESS_QUERY = contract.workflow.progressQuery;
export const INVALID_NUMBER = contract.invalidNumberErrorType;
export const MAX_PAYLOAD_DIGITS = contract.payload.maxDigits;
export const DEFAULT_WAIT_SECONDS = contract.defaultWaitSeconds;
export const HEARTBEAT_INTERVAL_SECONDS = contract.heartbeatIntervalSeconds;

/** The steps in the order the workflow runs them. */
export const STEPS: readonly Step[] = contract.steps;

/** What a calculation raises its input to: the product of the steps' exponents (48 today). */
export const EXPONENT = STEPS.reduce((product, s) => product * s.exponent, 1);

/** The result of a whole calculation, exact: n^EXPONENT. */
export const calculate = (n: bigint): bigint => n ** BigInt(EXPONENT);

/** How the API and its document name the result: `number^48`. */
export const RESULT_FORMULA = `number^${EXPONENT}`;

/** A step's worker as docker-compose.yml names its service (and its logs and metrics): power_of_2 -> power-of-2. */
export const serviceOf = (step: Step): string => step.activity.replace(/_/g, '-');

/** The step whose worker a service of docker-compose.yml runs; undefined for any other service. */
export const stepOfService = (service: string): Step | undefined => STEPS.find((s) => serviceOf(s) === service);

export function stepNamed(name: StepName): Step {
  const step = STEPS.find((s) => s.activity === name);
  if (!step) throw new Error(`contract.json has no step ${name}`);
  return step;
}

const DECIMAL_INTEGER = new RegExp(contract.payload.pattern);
const SHOWN_CHARS = 80;

/** Why `value` is not a valid payload, or undefined when it is one. */
export function payloadProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || !DECIMAL_INTEGER.test(value)) {
    return "expected a string of base-10 digits with an optional leading '-'";
  }
  const digits = value.startsWith('-') ? value.length - 1 : value.length;
  if (digits > MAX_PAYLOAD_DIGITS) return `at most ${MAX_PAYLOAD_DIGITS} digits`;
  return undefined;
}

/** The contract's InvalidNumber message: activity, the value as (cut) JSON, the rule. */
export function invalidNumberMessage(activity: string, value: unknown, rule: string): string {
  let shown = JSON.stringify(value) ?? String(value);
  if (shown.length > SHOWN_CHARS) shown = `${shown.slice(0, SHOWN_CHARS)}...`;
  return `${activity}: invalid number ${shown}: ${rule}`;
}
