import type { CatalogSnapshot } from '../gpus/cached-catalog';
import type { GpuCandidate } from '../gpus/catalog-gpu';
import { gpuCandidates } from '../gpus/gpu-candidates';
import { validateHubModel, type ValidatedModel } from '../hub/validate-hub-model';
import { deploymentTargetOf } from '../tasks/deployment-task';
import { estimateVram, type VramEstimate } from '../vram/vram-estimate';

export interface PlanRequest {
  modelId: string;
  hfToken?: string;
  task?: string;
  gpuTier?: string;
}

export interface PlanDependencies {
  hubUrl?: string;
  /** RunPod's GPU catalogue, with the caller's key (cached); throws for a key RunPod refuses. */
  catalog: () => Promise<CatalogSnapshot>;
}

export interface DeploymentPlan {
  model: ValidatedModel;
  target: ReturnType<typeof deploymentTargetOf>;
  vram: VramEstimate;
  /** Cheapest first; the deployer moves to the next on a capacity error. */
  candidates: GpuCandidate[];
  catalog: CatalogSnapshot;
}

/**
 * What a deployment needs before anything is created: the model checked on the Hub (it exists, the
 * token reaches it, its task is served), its VRAM, and the GPU pools that fit it, cheapest first.
 * The gateway plans once before it accepts a deployment (so bad requests get their 4xx at once),
 * and the deployer plans again when it runs it (the catalogue may have moved).
 * @throws the Hub's validation errors, NoGpuFitsError, UnknownGpuTierError, and RunPod's errors from the catalogue.
 */
export async function planDeployment(request: PlanRequest, dependencies: PlanDependencies): Promise<DeploymentPlan> {
  const model = await validateHubModel({ modelId: request.modelId, hfToken: request.hfToken, task: request.task, hubUrl: dependencies.hubUrl });
  const vram = estimateVram({ id: model.modelId, safetensorsParameters: model.safetensorsParameters, parameterCount: model.parameterCount });
  const catalog = await dependencies.catalog();
  const candidates = gpuCandidates({ catalog: catalog.gpus, minVramGb: vram.gb, tier: request.gpuTier });
  return { model, target: deploymentTargetOf(model.task), vram, candidates, catalog };
}
