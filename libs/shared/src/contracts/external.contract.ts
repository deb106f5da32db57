import { z } from 'zod';
import { defineQueueContract, type QueueContract } from './queue-contract';

/** The ids an operator may give endpoints of their own: RunPod's (lower-case letters and digits), dashes allowed. */
export const EXTERNAL_ENDPOINT_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const EXTERNAL_ENDPOINT_ID_RULE = '1–63 lower-case letters, digits and dashes, not starting with a dash';

/**
 * The contract of an endpoint that only external workers serve: an existing RunPod worker image on
 * the worker protocol, whose handler alone knows its input and output. So it is RunPod's own job:
 * any JSON object in, any JSON value out (a streaming handler's `[]` or aggregate included), within
 * the platform's size and shape limits.
 */
export function externalEndpointContract(endpointId: string): QueueContract {
  if (!EXTERNAL_ENDPOINT_ID.test(endpointId)) {
    throw new Error(`External endpoint id "${endpointId}" must be ${EXTERNAL_ENDPOINT_ID_RULE}`);
  }
  return defineQueueContract({
    queue: `ext-${endpointId}`,
    description: `Jobs for the external RunPod workers of "${endpointId}": their handler defines the input and the output.`,
    input: z.record(z.string(), z.unknown()),
    output: z.unknown(),
  });
}
