/**
 * The failure converter of every TypeScript client and worker while payloads are encrypted:
 * failure messages and stack traces travel as an encoded payload, so the codec encrypts them
 * too. A module of its own because the SDK loads it by path, the workflow sandbox included.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
