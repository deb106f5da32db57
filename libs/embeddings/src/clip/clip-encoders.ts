import { Tensor, type InferenceSession } from 'onnxruntime-node';
import { runInPaddingGroups, type ModelSession, type ModelSessions, type ModelStore } from '@switchyard/model-runtime';
import type { BatchEncoder, ModelSource } from '../batch-encoder';
import { EmbeddingModelError } from '../errors';
import { ModelFiles, optionalCount, requiredCount, type JsonObject } from '../model-files';
import { padTokenBatch, tokenFeeds, type TokenInputName } from '../text/token-batch';
import { tokenInputsOf } from '../text/token-inputs';
import { TextTokenizer, type TokenizedText } from '../text/text-tokenizer';
import { l2Normalize } from '../vectors';
import { ClipImagePreprocessor, clipImageSettings, type ClipImageOptions } from './clip-image-preprocessor';

/** The files of a CLIP repository exported for ONNX as Optimum lays it out (vision and text towers apart). */
export const CLIP_FILES = {
  vision: 'onnx/vision_model.onnx',
  text: 'onnx/text_model.onnx',
  config: 'config.json',
  preprocessor: 'preprocessor_config.json',
  tokenizer: 'tokenizer.json',
  tokenizerConfig: 'tokenizer_config.json',
} as const;

/** Splits a [batch, dimensions] output into normalized rows. */
function normalizedRows(output: Tensor, batch: number, dimensions: number): Float32Array[] {
  const data = output.data as Float32Array;
  if (data.length !== batch * dimensions) throw new RangeError(`Expected ${batch}×${dimensions} values, got ${data.length}`);
  return Array.from({ length: batch }, (_, row) => l2Normalize(data.subarray(row * dimensions, (row + 1) * dimensions)));
}

/** CLIP's image tower: preprocessed pixels in, L2-normalized image embeddings out. */
export class ClipVisionEncoder implements BatchEncoder<Float32Array> {
  constructor(
    readonly name: string,
    readonly session: ModelSession,
    readonly preprocessor: ClipImagePreprocessor,
    readonly dimensions: number,
  ) {}

  feeds(items: readonly Float32Array[]): InferenceSession.FeedsType {
    const { cropHeight, cropWidth } = this.preprocessor.settings;
    const pixels = new Float32Array(items.length * this.preprocessor.size);
    items.forEach((item, index) => pixels.set(item, index * this.preprocessor.size));
    return { pixel_values: new Tensor('float32', pixels, [items.length, 3, cropHeight, cropWidth]) };
  }

  async embedBatch(items: readonly Float32Array[]): Promise<Float32Array[]> {
    const { image_embeds: embeds } = await this.session.run(this.feeds(items));
    return normalizedRows(embeds, items.length, this.dimensions);
  }
}

/**
 * CLIP's text tower, so that text queries land in the image space. Batches are padded with the
 * tokenizer's pad token (end of text for CLIP): the tower pools at the first end-of-text token
 * and attends causally, so what follows it changes nothing.
 */
export class ClipTextEncoder implements BatchEncoder<TokenizedText> {
  constructor(
    readonly name: string,
    readonly session: ModelSession,
    readonly tokenizer: TextTokenizer,
    readonly dimensions: number,
    private readonly inputs: readonly TokenInputName[],
  ) {}

  feeds(items: readonly TokenizedText[]): InferenceSession.FeedsType {
    return tokenFeeds(padTokenBatch(items, this.tokenizer.padId), this.inputs);
  }

  /** Texts of very different lengths run in groups (runInPaddingGroups): each group is padded to its own longest. */
  embedBatch(items: readonly TokenizedText[]): Promise<Float32Array[]> {
    return runInPaddingGroups(
      items,
      (item) => item.ids.length,
      this.session.provider,
      async (group) => {
        const { text_embeds: embeds } = await this.session.run(this.feeds(group));
        return normalizedRows(embeds, group.length, this.dimensions);
      },
    );
  }
}

export interface ClipEncoders {
  vision: ClipVisionEncoder;
  text: ClipTextEncoder;
}

function textPositions(repo: string, config: JsonObject): number | undefined {
  const textConfig = (config.text_config ?? {}) as JsonObject;
  return optionalCount(repo, CLIP_FILES.config, 'text_config.max_position_embeddings', textConfig.max_position_embeddings);
}

/** The files the vision tower alone needs. */
const CLIP_VISION_FILES = [CLIP_FILES.vision, CLIP_FILES.config, CLIP_FILES.preprocessor];

/** Builds the vision tower from resolved files, checks its signature and warms it up. */
async function visionEncoderOf(files: ModelFiles, sessions: ModelSessions, config: JsonObject, imageOptions: ClipImageOptions): Promise<ClipVisionEncoder> {
  const dimensions = requiredCount(files.repo, CLIP_FILES.config, 'projection_dim', config.projection_dim);
  const preprocessor = new ClipImagePreprocessor(clipImageSettings(files.repo, await files.json(CLIP_FILES.preprocessor)), imageOptions);
  const { cropHeight, cropWidth } = preprocessor.settings;
  const name = `${files.repo}/${CLIP_FILES.vision}`;
  const session = await sessions.load(files.path(CLIP_FILES.vision), { name });
  session.checkSignature({
    inputs: [{ name: 'pixel_values', type: 'float32', shape: ['batch', 3, cropHeight, cropWidth] }],
    outputs: [{ name: 'image_embeds', type: 'float32', shape: ['batch', dimensions] }],
  });
  const vision = new ClipVisionEncoder(name, session, preprocessor, dimensions);
  await vision.embedBatch([new Float32Array(preprocessor.size)]);
  return vision;
}

/** Loads only the image tower of a CLIP model (for heads on image embeddings), checks its signature and warms it up. */
export async function loadClipVisionEncoder(
  store: ModelStore,
  sessions: ModelSessions,
  source: ModelSource,
  imageOptions: ClipImageOptions,
): Promise<ClipVisionEncoder> {
  const files = await ModelFiles.resolve(store, source, CLIP_VISION_FILES);
  return visionEncoderOf(files, sessions, await files.json(CLIP_FILES.config), imageOptions);
}

/** Loads both towers of a CLIP model, checks their signatures and warms them up. */
export async function loadClipEncoders(store: ModelStore, sessions: ModelSessions, source: ModelSource, imageOptions: ClipImageOptions): Promise<ClipEncoders> {
  const files = await ModelFiles.resolve(store, source, Object.values(CLIP_FILES));
  const [config, tokenizer, tokenizerConfig] = await Promise.all([
    files.json(CLIP_FILES.config),
    files.json(CLIP_FILES.tokenizer),
    files.json(CLIP_FILES.tokenizerConfig),
  ]);
  const dimensions = requiredCount(source.repo, CLIP_FILES.config, 'projection_dim', config.projection_dim);
  const lengths = [
    optionalCount(source.repo, CLIP_FILES.tokenizerConfig, 'model_max_length', tokenizerConfig.model_max_length),
    textPositions(source.repo, config),
  ].filter((length): length is number => length !== undefined);
  if (lengths.length === 0) throw new EmbeddingModelError(source.repo, 'no file states the text tower’s maximum length');

  const vision = await visionEncoderOf(files, sessions, config, imageOptions);
  const textName = `${source.repo}/${CLIP_FILES.text}`;
  const textSession = await sessions.load(files.path(CLIP_FILES.text), { name: textName });
  const textInputs = tokenInputsOf(textSession, ['input_ids']);
  textSession.checkSignature({
    inputs: textInputs.map((input) => ({ name: input, type: 'int64', shape: ['batch', 'sequence'] })),
    outputs: [{ name: 'text_embeds', type: 'float32', shape: ['batch', dimensions] }],
  });
  const text = new ClipTextEncoder(
    textName,
    textSession,
    new TextTokenizer({ tokenizer, config: tokenizerConfig }, Math.min(...lengths)),
    dimensions,
    textInputs,
  );
  await text.embedBatch([text.tokenizer.encode('warm-up')]);
  return { vision, text };
}
