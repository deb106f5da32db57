import { linspace } from './numpy-ops';

/** Karras et al. (2022), eq. 5: (σmax^(1/ρ) + ramp·(σmin^(1/ρ) − σmax^(1/ρ)))^ρ over `ramp`. */
export function karrasSigmas(ramp: readonly number[], sigmaMin: number, sigmaMax: number, rho = 7): number[] {
  const minInvRho = sigmaMin ** (1 / rho);
  const maxInvRho = sigmaMax ** (1 / rho);
  return ramp.map((r) => (maxInvRho + r * (minInvRho - maxInvRho)) ** rho);
}

/** diffusers' `_sigma_to_t`: the fractional training timestep whose σ is `sigma`, interpolating in log σ. */
export function sigmaToTimestep(sigma: number, logSigmas: Float64Array): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  let low = 0;
  for (let j = 0; j < logSigmas.length; j++) if (logSigma >= logSigmas[j]) low = j;
  low = Math.min(low, logSigmas.length - 2);
  const w = Math.min(Math.max((logSigmas[low] - logSigma) / (logSigmas[low] - logSigmas[low + 1]), 0), 1);
  return (1 - w) * low + w * (low + 1);
}

/** The ramp [0, 1] of `steps` points the Karras schedules use. */
export function unitRamp(steps: number): number[] {
  return linspace(0, 1, steps);
}
