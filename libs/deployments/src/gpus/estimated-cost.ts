export interface CostEstimateInput {
  /** What one running worker costs per hour on the endpoint's GPU. */
  pricePerHourUsd: number;
  /** When the endpoint was created. */
  since: Date;
  /** Now, or when the endpoint was deleted. */
  until: Date;
  maxWorkers: number;
  /** Workers kept running even without jobs (RunPod's "active" workers); 0 unless given. */
  minWorkers?: number;
  /** Seconds workers ran in the period, summed over workers, when RunPod's metrics say so. */
  activeWorkerSeconds?: number;
}

export interface CostEstimate {
  /** One running worker. */
  pricePerHourUsd: number;
  /** Every worker the endpoint may scale to running at once: the most an hour can cost. */
  maxHourlyUsd: number;
  /** The minimum workers alone, which bill whether or not jobs come. */
  minHourlyUsd: number;
  elapsedSeconds: number;
  /** The worker-seconds the cost so far counts. */
  billedWorkerSeconds: number;
  costSoFarUsd: number;
  /** The most the period can have cost: every worker running throughout. */
  ceilingSoFarUsd: number;
  /** `active-worker-seconds` when counted from the given seconds; `min-workers` when only the always-on workers are certain, a lower bound. */
  basis: 'active-worker-seconds' | 'min-workers';
}

const SECONDS_PER_HOUR = 3600;

/**
 * What an endpoint costs. RunPod serverless bills each worker by the second while it runs: its cold
 * start and model load, its jobs, and its idle timeout after the last job until it stops; an
 * endpoint without running workers costs nothing. So the cost so far is the worker-seconds times the
 * price; without those seconds, only the minimum workers' time is certain, and that is what is
 * counted. Discounts RunPod gives always-on workers are not modelled: estimates err high.
 */
export function estimatedCost({ pricePerHourUsd, since, until, maxWorkers, minWorkers = 0, activeWorkerSeconds }: CostEstimateInput): CostEstimate {
  const elapsedSeconds = Math.max(0, (until.getTime() - since.getTime()) / 1000);
  const basis = activeWorkerSeconds === undefined ? 'min-workers' : 'active-worker-seconds';
  const billedWorkerSeconds = activeWorkerSeconds ?? minWorkers * elapsedSeconds;
  const pricePerSecond = pricePerHourUsd / SECONDS_PER_HOUR;
  return {
    pricePerHourUsd,
    maxHourlyUsd: pricePerHourUsd * maxWorkers,
    minHourlyUsd: pricePerHourUsd * minWorkers,
    elapsedSeconds,
    billedWorkerSeconds,
    costSoFarUsd: billedWorkerSeconds * pricePerSecond,
    ceilingSoFarUsd: maxWorkers * elapsedSeconds * pricePerSecond,
    basis,
  };
}
