export { DeploymentRequestError, type DeploymentRequestField } from './deployment-request-error';
export { DEPLOYABLE_TASKS, deploymentTargetOf, isDeployableTask, taskAccepts, type DeployableTask, type DeploymentTarget } from './tasks/deployment-task';
export { DEFAULT_MODEL_SPECS, findModelSpec, modelIdOfName, type ModelSpec, type ModelSpecRegistry } from './vram/model-specs';
export {
  BYTES_PER_DTYPE,
  UNKNOWN_DTYPE_BYTES,
  VRAM_HEADROOM,
  VRAM_TIERS_GB,
  LARGE_GPU_MEMORY_GB,
  PARAMETER_COUNT_VRAM_GB,
  LARGEST_PARAMETER_COUNT_VRAM_GB,
  DEFAULT_VRAM_GB,
  bytesPerDtype,
  estimateVram,
  type ModelToEstimate,
  type VramEstimate,
} from './vram/vram-estimate';
export type { CatalogGpu, GpuCandidate } from './gpus/catalog-gpu';
export { DEFAULT_GPU_REGISTRY, GPU_TIERS, type RegistryPool } from './gpus/gpu-registry';
export { poolsOfGpuTier } from './gpus/gpu-tier';
export { gpuCandidates, type GpuCandidatesRequest } from './gpus/gpu-candidates';
export { UnknownGpuTierError, NoGpuFitsError, type NoGpuFitsDetails } from './gpus/gpu-errors';
export { CachedCatalog, type CachedCatalogOptions, type CatalogSnapshot, type CatalogCandidates } from './gpus/cached-catalog';
export { estimatedCost, type CostEstimateInput, type CostEstimate } from './gpus/estimated-cost';
export { InvalidModelIdError, assertValidModelId } from './hub/model-id';
export { ModelNotFoundError, ModelGatedError, ModelAccessDeniedError, UnsupportedTaskError, TaskMismatchError, HubUnavailableError } from './hub/hub-errors';
export { inferModelTask, chooseTask, requireDeployableTask, type ModelTask, type TaskClues, type TaskEvidence } from './hub/model-task';
export { validateHubModel, DEFAULT_HUB_URL, type ValidateHubModelOptions, type ValidatedModel } from './hub/validate-hub-model';
export { deploymentConfigShape, type DeploymentConfig } from './deployment-config';
export { planDeployment, type PlanRequest, type PlanDependencies, type DeploymentPlan } from './orchestration/deployment-plan';
export { GpuCatalogs } from './orchestration/gpu-catalogs';
export { NoGpuCapacityError, EndpointNotReadyError, MissingRunPodKeyError } from './orchestration/deployment-errors';
export type { EndpointRequest, CreatedEndpoint, RunPodManagement, DeployedEndpointProbe } from './orchestration/ports';
export { readinessSecretFor, WorkerReports, WORKER_REPORTS, type WorkerReport, type WorkerReportStatus } from './orchestration/readiness';
export { workerEnvironment, type WorkerSecrets, type WorkerEnvironmentSettings } from './orchestration/worker-environment';
export {
  DeploymentOrchestrator,
  endpointNameOf,
  type EndpointSettings,
  type ReadinessSettings,
  type DeploymentReporter,
  type DeployContext,
  type DeleteContext,
} from './orchestration/deployment-orchestrator';
