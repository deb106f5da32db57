import { readFile } from 'node:fs/promises';
import { Tokenizer } from '@huggingface/tokenizers';
import type { ModelStore, ResolvedModel } from '@switchyard/model-runtime';
import { machineLabelIndex } from './detection-maths';
import { TextDetectorModelError } from './errors';
import type { TextModelEntry, TextModelRegistry } from './model-registry';
import { DEFAULT_WINDOW_OVERLAP, specialTokensOf, tokenWindows, windowCapacity, type SpecialTokens, type WindowPlan } from './text-windows';

/** The files beside the graph that a text model needs, as Hugging Face repositories name them. */
export const TEXT_MODEL_FILES = { config: 'config.json', tokenizer: 'tokenizer.json', tokenizerConfig: 'tokenizer_config.json' } as const;

/** Model types whose position ids start after the padding id (transformers' create_position_ids_from_input_ids), so they read 2 tokens fewer than they have positions. */
const PADDING_OFFSET_POSITIONS = new Set(['roberta', 'xlm-roberta', 'camembert', 'longformer', 'data2vec-text', 'xmod']);

export interface TextModelFile {
  /** Path inside the repository. */
  readonly file: string;
  /** Absolute local path. */
  readonly path: string;
  readonly bytes: number;
}

/**
 * What serving a model needs, without a session: its files on disk with their sizes, the label
 * mapping and the window plan. A gateway gives it to a browser client, which runs the same model.
 */
export interface TextModelSpec {
  readonly modelId: string;
  readonly repo: string;
  /** The commit the files belong to; null for a model folder. */
  readonly revision: string | null;
  readonly files: { readonly onnx: TextModelFile; readonly tokenizer: TextModelFile; readonly tokenizerConfig: TextModelFile; readonly config: TextModelFile };
  /** config.json's id2label: class index → the model's name of it. */
  readonly id2label: Readonly<Record<string, string>>;
  readonly machineLabel: string;
  readonly machineLabelIndex: number;
  /** Longest window, special tokens included. */
  readonly maxLength: number;
  readonly overlap: number;
}

type JsonObject = Record<string, unknown>;

/** A spec with the parsed files a detector builds its tokenizer from. */
export interface LoadedTextModel {
  readonly spec: TextModelSpec;
  readonly tokenizer: JsonObject;
  readonly tokenizerConfig: JsonObject;
  readonly specials: SpecialTokens;
}

/** The client spec of a registry model: its files through the model store, checked and described. */
export async function textModelSpec(store: ModelStore, registry: TextModelRegistry, modelId: string = registry.defaultModel): Promise<TextModelSpec> {
  return (await loadTextModel(store, modelId, registry.entry(modelId))).spec;
}

/** Resolves and reads a model's files, and works out its labels and windows. @throws TextDetectorModelError naming what is wrong */
export async function loadTextModel(store: ModelStore, modelId: string, entry: TextModelEntry): Promise<LoadedTextModel> {
  const fail = (detail: string, cause?: unknown): never => {
    throw new TextDetectorModelError(modelId, detail, cause === undefined ? undefined : { cause });
  };
  const wanted = [entry.file, TEXT_MODEL_FILES.config, TEXT_MODEL_FILES.tokenizer, TEXT_MODEL_FILES.tokenizerConfig];
  let resolved: ResolvedModel;
  try {
    resolved = await store.resolve({ repo: entry.repo, revision: entry.revision, files: wanted });
  } catch (error) {
    return fail((error as Error).message, error);
  }
  const [onnx, configFile, tokenizerFile, tokenizerConfigFile] = resolved.files.map(({ file, path, size }) => ({ file, path, bytes: size }));
  const json = async (file: TextModelFile): Promise<JsonObject> => {
    try {
      const value: unknown = JSON.parse(await readFile(file.path, 'utf8'));
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as JsonObject;
      return fail(`"${file.file}" is not a JSON object`);
    } catch (error) {
      if (error instanceof TextDetectorModelError) throw error;
      return fail(`"${file.file}" is not readable JSON (${(error as Error).message})`, error);
    }
  };
  const [config, tokenizer, tokenizerConfig] = await Promise.all([json(configFile), json(tokenizerFile), json(tokenizerConfigFile)]);

  const id2label = labelsOf(config, fail);
  let machineIndex = 0;
  try {
    machineIndex = machineLabelIndex(id2label, entry.machineLabel);
  } catch (error) {
    fail(`${(error as Error).message} (the registry's machineLabel)`);
  }

  let specials: SpecialTokens = { leading: [], trailing: [] };
  try {
    const probe = new Tokenizer(tokenizer, tokenizerConfig);
    specials = specialTokensOf(probe.encode('a').ids, probe.encode('a', { add_special_tokens: false }).ids);
  } catch (error) {
    fail(`${TEXT_MODEL_FILES.tokenizer} does not load (${(error as Error).message})`, error);
  }

  const natural = naturalMaxLength(config, tokenizerConfig, fail);
  if (entry.maxLength !== undefined && entry.maxLength > natural) fail(`maxLength ${entry.maxLength} is more than the ${natural} tokens the model reads`);
  const maxLength = entry.maxLength ?? natural;
  const capacity = windowCapacity({ maxLength, overlap: 0 }, specials);
  const plan: WindowPlan = { maxLength, overlap: entry.overlap ?? Math.min(DEFAULT_WINDOW_OVERLAP, Math.round(capacity / 4)) };
  try {
    tokenWindows([], specials, plan);
  } catch (error) {
    fail((error as Error).message);
  }

  return {
    spec: {
      modelId,
      repo: entry.repo,
      revision: resolved.revision,
      files: { onnx, config: configFile, tokenizer: tokenizerFile, tokenizerConfig: tokenizerConfigFile },
      id2label,
      machineLabel: entry.machineLabel,
      machineLabelIndex: machineIndex,
      maxLength: plan.maxLength,
      overlap: plan.overlap,
    },
    tokenizer,
    tokenizerConfig,
    specials,
  };
}

/** config.json's id2label, checked to number its classes 0, 1, … */
function labelsOf(config: JsonObject, fail: (detail: string) => never): Record<string, string> {
  const labels = config.id2label;
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) return fail(`${TEXT_MODEL_FILES.config} has no "id2label" object`);
  const entries = Object.entries(labels as JsonObject);
  const numbered = entries.every(([id, label]) => typeof label === 'string' && /^\d+$/.test(id) && Number(id) < entries.length);
  if (entries.length < 2 || !numbered)
    return fail(`"id2label" in ${TEXT_MODEL_FILES.config} must name classes 0 to n − 1 (n ≥ 2), got ${JSON.stringify(labels)}`);
  return Object.fromEntries(entries) as Record<string, string>;
}

/** The longest input the files allow: the tokenizer's model_max_length and the positions the model has. */
function naturalMaxLength(config: JsonObject, tokenizerConfig: JsonObject, fail: (detail: string) => never): number {
  const count = (file: string, key: string, value: unknown): number | undefined => {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0)
      return fail(`"${key}" in ${file} must be a positive whole number, got ${JSON.stringify(value)}`);
    return value;
  };
  const positions = count(TEXT_MODEL_FILES.config, 'max_position_embeddings', config.max_position_embeddings);
  const padId = typeof config.pad_token_id === 'number' ? config.pad_token_id : 1;
  const offset = PADDING_OFFSET_POSITIONS.has(String(config.model_type)) ? padId + 1 : 0;
  const limits = [
    count(TEXT_MODEL_FILES.tokenizerConfig, 'model_max_length', tokenizerConfig.model_max_length),
    positions === undefined ? undefined : positions - offset,
  ].filter((limit): limit is number => limit !== undefined);
  if (limits.length === 0) return fail('no file states its maximum sequence length (model_max_length, max_position_embeddings)');
  return Math.min(...limits);
}
