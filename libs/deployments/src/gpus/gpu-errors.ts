import { DeploymentRequestError } from '../deployment-request-error';

/** `gpu_tier` names no GPU, pool or tier that we know of. */
export class UnknownGpuTierError extends DeploymentRequestError {
  constructor(
    readonly requested: string,
    readonly accepted: readonly string[],
  ) {
    super('gpu_tier', `gpu_tier "${requested}" names no GPU we know; accepted values: ${accepted.join(', ')}`);
  }
}

export interface NoGpuFitsDetails {
  needGb: number;
  /** The largest GPU memory on offer at all; undefined when nothing is on offer. */
  largestGb?: number;
  tier?: string;
  /** The largest GPU memory on offer within the tier; undefined when the tier has nothing on offer. */
  tierLargestGb?: number;
}

/** No GPU on offer (within `gpu_tier`, when given) has the memory the model needs. */
export class NoGpuFitsError extends DeploymentRequestError {
  readonly needGb: number;
  readonly largestGb?: number;
  readonly tier?: string;

  constructor(details: NoGpuFitsDetails) {
    super(details.tier === undefined ? 'hf_model_id' : 'gpu_tier', describe(details));
    this.needGb = details.needGb;
    this.largestGb = details.largestGb;
    this.tier = details.tier;
  }
}

function describe({ needGb, largestGb, tier, tierLargestGb }: NoGpuFitsDetails): string {
  const largest = largestGb === undefined ? 'no GPU is on offer' : `the largest GPU on offer has ${largestGb} GB`;
  if (tier === undefined) return `the model needs ${needGb} GB of GPU memory; ${largest}`;
  if (tierLargestGb === undefined) return `gpu_tier "${tier}" has no GPU on offer; the model needs ${needGb} GB of GPU memory and ${largest}`;
  return `gpu_tier "${tier}" is too small: its GPUs have ${tierLargestGb} GB, the model needs ${needGb} GB; ${largest}`;
}
