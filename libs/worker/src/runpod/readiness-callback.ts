import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { signWebhook } from '@switchyard/outbound';
import type { Logger } from '@switchyard/shared';

export interface ReadinessCallback {
  /** The gateway's `/v1/deployments/{id}/ready`, given to a deployed worker by the deployer. */
  url: string;
  /** Signs the report per Standard Webhooks; derived by the deployer for this deployment. */
  secret: string;
  workerId: string;
}

const ATTEMPTS = 3;
const TIMEOUT_MS = 10_000;

/**
 * Tells the deployment's gateway that this worker is ready, with a signed post (Standard Webhooks:
 * no secret travels in the URL). The body goes as text so that the signature covers its exact
 * bytes. Failures are logged: the deployer also polls RunPod's health, so a lost callback only
 * slows readiness down.
 */
export async function reportReadiness(callback: ReadinessCallback, logger: Logger): Promise<void> {
  const body = JSON.stringify({ status: 'ready', worker_id: callback.workerId });
  const id = `ready_${randomUUID()}`;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      const headers = signWebhook({ id, timestamp: Math.floor(Date.now() / 1000), body, secrets: callback.secret });
      const response = await fetch(callback.url, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' },
        body,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      if (response.ok) return;
      logger.warn({ status: response.status, attempt }, 'readiness callback refused');
      if (response.status < 500) return;
    } catch (error) {
      logger.warn({ err: error, attempt }, 'readiness callback failed');
    }
    await sleep(1_000 * attempt);
  }
}
