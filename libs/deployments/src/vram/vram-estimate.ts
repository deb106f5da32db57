import { DEFAULT_MODEL_SPECS, findModelSpec, type ModelSpecRegistry } from './model-specs';

/** Bytes per weight for each safetensors dtype; a dtype not listed counts as UNKNOWN_DTYPE_BYTES. */
export const BYTES_PER_DTYPE: Readonly<Record<string, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
  F8_E8M0: 1,
  U16: 2,
  I16: 2,
  F16: 2,
  BF16: 2,
  U32: 4,
  I32: 4,
  F32: 4,
  U64: 8,
  I64: 8,
  F64: 8,
};

/** Assumes full precision for a dtype we do not know: an overestimate costs money, an underestimate an OOM. */
export const UNKNOWN_DTYPE_BYTES = 4;

/** Room for activations, the CUDA context and allocator slack on top of the weights. */
export const VRAM_HEADROOM = 1.35;

/** The memory sizes an estimate snaps up to: what serverless GPUs come with. */
export const VRAM_TIERS_GB: readonly number[] = [6, 8, 10, 12, 16, 24, 28, 40, 48, 80];

/** Real GPU memory sizes past the largest tier (H100 NVL, H200), for models that need more than 80 GB. */
export const LARGE_GPU_MEMORY_GB: readonly number[] = [94, 141];

/** GPU memory by parameter count, for models whose dtypes are unknown: `≤ maxParameters → gb`. */
export const PARAMETER_COUNT_VRAM_GB: readonly { maxParameters: number; gb: number }[] = [
  { maxParameters: 0.5e9, gb: 6 },
  { maxParameters: 1e9, gb: 8 },
  { maxParameters: 3e9, gb: 12 },
  { maxParameters: 7e9, gb: 16 },
  { maxParameters: 13e9, gb: 24 },
  { maxParameters: 30e9, gb: 40 },
];
export const LARGEST_PARAMETER_COUNT_VRAM_GB = 80;

/** When nothing is known about a model: enough for most diffusion models, so a cold start isn't wasted on an OOM. */
export const DEFAULT_VRAM_GB = 16;

const GIB = 1024 ** 3;

export interface VramEstimate {
  /** GPU memory to ask for, in GB. */
  gb: number;
  source: 'registry' | 'safetensors' | 'parameter-count' | 'default';
  /** How the number came about, for people. */
  detail: string;
  /** The weights' size, when the estimate came from their dtypes. */
  weightBytes?: number;
}

export interface ModelToEstimate {
  /** Hub repo id, e.g. `stabilityai/sd-turbo`. */
  id: string;
  /** Parameter counts by dtype, as the Hub's safetensors metadata gives them (`{BF16: n, F32: m}`). */
  safetensorsParameters?: Record<string, number>;
  parameterCount?: number;
}

export function bytesPerDtype(dtype: string): number {
  return BYTES_PER_DTYPE[dtype.toUpperCase()] ?? UNKNOWN_DTYPE_BYTES;
}

/**
 * The GPU memory a model needs, from the best evidence there is: a registry entry, else the weights'
 * size by dtype with headroom, else a table by parameter count, else a default.
 */
export function estimateVram(model: ModelToEstimate, registry: ModelSpecRegistry = DEFAULT_MODEL_SPECS): VramEstimate {
  const spec = findModelSpec(model.id, registry);
  if (spec) return { gb: spec.minVramGb, source: 'registry', detail: `${model.id} is in the model registry: ${spec.minVramGb} GB` };

  const counts = Object.entries(model.safetensorsParameters ?? {}).filter(([, count]) => count > 0);
  if (counts.length > 0) return estimateFromWeights(counts);

  if (model.parameterCount !== undefined && model.parameterCount > 0) return estimateFromParameterCount(model.parameterCount);

  return { gb: DEFAULT_VRAM_GB, source: 'default', detail: `no registry entry, safetensors metadata or parameter count: the ${DEFAULT_VRAM_GB} GB default` };
}

function estimateFromWeights(counts: readonly [string, number][]): VramEstimate {
  const weightBytes = counts.reduce((sum, [dtype, count]) => sum + count * bytesPerDtype(dtype), 0);
  const parameters = counts.reduce((sum, [, count]) => sum + count, 0);
  const weightGib = weightBytes / GIB;
  const needGib = weightGib * VRAM_HEADROOM;
  const tier = [...VRAM_TIERS_GB, ...LARGE_GPU_MEMORY_GB].find((gb) => needGib <= gb);
  const gb = tier ?? Math.ceil(needGib);
  const byDtype = counts.map(([dtype, count]) => `${dtype} ${formatCount(count)} × ${bytesPerDtype(dtype)} B`).join(', ');
  const snapped = tier === undefined ? `no GPU has that much: ${gb} GB` : `${gb} GB tier`;
  return {
    gb,
    source: 'safetensors',
    weightBytes,
    detail: `${formatCount(parameters)} parameters (${byDtype}) = ${weightGib.toFixed(2)} GiB × ${VRAM_HEADROOM} = ${needGib.toFixed(2)} GiB → ${snapped}`,
  };
}

function estimateFromParameterCount(parameterCount: number): VramEstimate {
  const row = PARAMETER_COUNT_VRAM_GB.find(({ maxParameters }) => parameterCount <= maxParameters);
  const gb = row?.gb ?? LARGEST_PARAMETER_COUNT_VRAM_GB;
  const bound = row ? `≤ ${formatCount(row.maxParameters)}` : `> ${formatCount(PARAMETER_COUNT_VRAM_GB.at(-1)!.maxParameters)}`;
  return { gb, source: 'parameter-count', detail: `${formatCount(parameterCount)} parameters, dtypes unknown: ${bound} parameters → ${gb} GB` };
}

/** `1.23 B`, `22.7 M`, `512` */
function formatCount(count: number): string {
  if (count >= 1e9) return `${trimmed(count / 1e9)} B`;
  if (count >= 1e6) return `${trimmed(count / 1e6)} M`;
  if (count >= 1e3) return `${trimmed(count / 1e3)} K`;
  return String(count);
}

function trimmed(value: number): string {
  return String(Number(value.toPrecision(3)));
}
