import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { TextDetectorRegistryError, UnknownTextModelError } from './errors';

/** Where a text model's graph lies in its repository unless told: Optimum's layout. */
export const DEFAULT_TEXT_MODEL_FILE = 'onnx/model.onnx';

const modelEntrySchema = z.strictObject({
  /** A Hugging Face repository (or a folder of the model store) holding the ONNX export, config.json and the tokenizer files. */
  repo: z.string().min(1),
  revision: z.string().min(1).optional(),
  /** The graph, inside the repository. */
  file: z.string().min(1).default(DEFAULT_TEXT_MODEL_FILE),
  /** The `id2label` name of the class meaning machine-written (compared without case). */
  machineLabel: z.string().min(1),
  /** Longest window, special tokens included; what the model's files allow unless told (it may only be lower). */
  maxLength: z.number().int().min(3).optional(),
  /** Tokens each window shares with the one before it. */
  overlap: z.number().int().min(0).optional(),
});

/** One model of the registry, as configured. */
export type TextModelEntry = z.output<typeof modelEntrySchema>;
export type TextModelEntryInput = z.input<typeof modelEntrySchema>;

/** Models by id; `null` removes a model of the built-in registry. */
const registryPatchSchema = z.record(z.string().min(1), modelEntrySchema.nullable(), { error: 'must be a JSON object of model ids' });

export const DEFAULT_TEXT_MODEL_ID = 'openai-community/roberta-base-openai-detector';

/** The built-in registry: the seed's default model, from its ONNX export (fp32). */
export const BUILT_IN_TEXT_MODELS: Readonly<Record<string, TextModelEntry>> = {
  [DEFAULT_TEXT_MODEL_ID]: { repo: 'onnx-community/roberta-base-openai-detector-ONNX', file: DEFAULT_TEXT_MODEL_FILE, machineLabel: 'Fake' },
};

export interface TextModelRegistryData {
  readonly models: Readonly<Record<string, TextModelEntry>>;
  readonly defaultModel: string;
}

/**
 * The models a text detector serves, by id. Built from the built-in registry with the configured
 * models laid over it (same id replaces, `null` removes), validated when built.
 */
export class TextModelRegistry {
  private constructor(private readonly data: TextModelRegistryData) {}

  static of(data: TextModelRegistryData): TextModelRegistry {
    if (Object.keys(data.models).length === 0) throw new TextDetectorRegistryError('The text detector registry holds no model');
    if (!(data.defaultModel in data.models)) {
      throw new TextDetectorRegistryError(
        `The default text model "${data.defaultModel}" is not in the registry; its models are ${Object.keys(data.models).join(', ')}`,
      );
    }
    return new TextModelRegistry(data);
  }

  get ids(): string[] {
    return Object.keys(this.data.models);
  }

  get defaultModel(): string {
    return this.data.defaultModel;
  }

  /** The model of `id`, the default model when `id` is left out. @throws UnknownTextModelError */
  entry(id: string = this.data.defaultModel): TextModelEntry {
    const entry = Object.hasOwn(this.data.models, id) ? this.data.models[id] : undefined;
    if (!entry) throw new UnknownTextModelError(id, this.ids);
    return entry;
  }
}

export interface TextModelRegistrySources {
  /** JSON of model ids to entries (or null), e.g. TEXT_DETECTOR_MODELS. */
  readonly json?: string;
  /** A file holding the same JSON, e.g. TEXT_DETECTOR_MODELS_FILE; laid over first, so `json` wins. */
  readonly file?: string;
  /** The default model; the built-in default when it is still served, else the first model. */
  readonly defaultModel?: string;
}

function parsePatch(text: string, where: string): Record<string, TextModelEntry | null> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TextDetectorRegistryError(`${where} is not JSON: ${(error as Error).message}`);
  }
  const parsed = registryPatchSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `  ${where}${issue.path.map((key) => `[${JSON.stringify(key)}]`).join('')}: ${issue.message}`);
  throw new TextDetectorRegistryError(`Invalid text detector registry\n${problems.join('\n')}`);
}

/** The registry from configuration: the built-in models, then the file's, then the JSON's. */
export function loadTextModelRegistry(sources: TextModelRegistrySources = {}): TextModelRegistry {
  const models: Record<string, TextModelEntry> = { ...BUILT_IN_TEXT_MODELS };
  const patches: [string, string][] = [];
  if (sources.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(sources.file, 'utf8');
    } catch (error) {
      throw new TextDetectorRegistryError(`Cannot read the text detector registry ${sources.file}: ${(error as Error).message}`);
    }
    patches.push([text, sources.file]);
  }
  if (sources.json !== undefined) patches.push([sources.json, 'TEXT_DETECTOR_MODELS']);
  for (const [text, where] of patches) {
    for (const [id, entry] of Object.entries(parsePatch(text, where))) {
      if (entry === null) delete models[id];
      else models[id] = entry;
    }
  }
  const defaultModel = sources.defaultModel ?? (DEFAULT_TEXT_MODEL_ID in models ? DEFAULT_TEXT_MODEL_ID : Object.keys(models)[0]);
  return TextModelRegistry.of({ models, defaultModel: defaultModel ?? DEFAULT_TEXT_MODEL_ID });
}
