import { Tensor, type InferenceSession } from 'onnxruntime-node';
import type { ChwImage } from '@switchyard/image-detection';
import { ModelFiles, type JsonObject, type ModelSession, type ModelSessions, type ModelStore } from '@switchyard/model-runtime';
import { eightBitImage } from '../eight-bit';
import { createScheduler, SeededNoise } from '../schedulers';
import { ClipPromptEncoder, concatenateStates, penultimateHiddenState, type EncodedText } from './clip-prompt-encoder';
import { CLIP_TOKENIZER_FILES, ClipTokenizer } from './clip-tokenizer';
import { DiffusionModelError, GenerationRequestError } from './diffusion-errors';
import { configCount, configNumbers, fetchExternalData, type PipelineSource } from './pipeline-files';
import { assertFloatInput, floatTensor, floatValues, tensorMetadata, type TensorMetadata, type TensorPlace } from './tensor-values';

export type { PipelineSource } from './pipeline-files';

export interface GenerationRequest {
  readonly prompt: string;
  readonly negativePrompt: string;
  readonly width: number;
  readonly height: number;
  readonly steps: number;
  readonly guidanceScale: number;
  readonly seed: number;
}

export interface GenerationControl {
  readonly signal: AbortSignal;
  readonly cutOff?: AbortSignal;
  /** after each denoising step, 1-based */
  readonly onStep?: (step: number, steps: number) => void | Promise<void>;
}

export interface GenerationResult {
  readonly image: ChwImage;
  readonly promptTruncated: boolean;
  readonly negativePromptTruncated: boolean;
  readonly timingsMs: { readonly encodePrompt: number; readonly denoise: number; readonly decode: number; readonly unet: number };
}

export type DiffusionFamily = 'stable-diffusion' | 'stable-diffusion-xl';

const FILES = {
  index: 'model_index.json',
  scheduler: 'scheduler/scheduler_config.json',
  unet: 'unet/model.onnx',
  unetConfig: 'unet/config.json',
  vae: 'vae_decoder/model.onnx',
  vaeConfig: 'vae_decoder/config.json',
} as const;

const encoderFiles = (folder: string) => ({ model: `${folder}/model.onnx`, config: `${folder}/config.json` });
const tokenizerFiles = (folder: string) => CLIP_TOKENIZER_FILES.map((file) => `${folder}/${file}`);

/** The SDXL UNet inputs beside sample, timestep and encoder_hidden_states. */
const SDXL_TIME_IDS = 6;

/** How the VAE's latents are scaled: z / scaling, or per channel z·std / scaling + mean (playground-v2.5). */
export interface LatentScaling {
  readonly scalingFactor: number;
  readonly mean?: readonly number[];
  readonly std?: readonly number[];
}

interface UnetInputs {
  readonly sample: TensorMetadata;
  readonly timestep: TensorMetadata;
  readonly encoderHiddenStates: TensorMetadata;
  readonly textEmbeds?: TensorMetadata;
  readonly timeIds?: TensorMetadata;
}

/** Prompt and negative prompt, ready for the UNet: [uncond, cond] rows when guided, cond alone otherwise. */
interface Conditioning {
  readonly rows: number;
  readonly states: Float32Array;
  readonly pooled: Float32Array | undefined;
  readonly timeIds: Float32Array | undefined;
  readonly promptTruncated: boolean;
  readonly negativePromptTruncated: boolean;
}

function seconds(started: number): number {
  return performance.now() - started;
}

async function loadSession(store: ModelStore, sessions: ModelSessions, source: PipelineSource, files: ModelFiles, file: string): Promise<ModelSession> {
  await fetchExternalData(store, source, file);
  return sessions.load(files.path(file), { name: `${files.repo}/${file}` });
}

/**
 * A text-to-image diffusion pipeline on onnxruntime, from an ONNX export in diffusers' / optimum's
 * layout: Stable Diffusion 1.x/2.x (sd-turbo) with one CLIP text encoder, or SDXL (sdxl-turbo,
 * playground-v2.5) with two. Tensor names, element types and the UNet's batch size are read from
 * the sessions, so exports that differ there run alike.
 *
 * Noise: one SeededNoise per generation; the initial latents are its first C·h·w draws (times
 * the scheduler's initial sigma), and the scheduler's own draws (ancestral steps) follow on the
 * same instance, step by step.
 */
export class DiffusionPipeline {
  private constructor(
    readonly repo: string,
    readonly family: DiffusionFamily,
    private readonly schedulerConfig: JsonObject,
    readonly schedulerName: string,
    readonly sizeMultiple: number,
    private readonly encoders: readonly ClipPromptEncoder[],
    private readonly unet: ModelSession,
    private readonly unetInputs: UnetInputs,
    private readonly latentChannels: number,
    private readonly vae: ModelSession,
    private readonly vaeInput: TensorMetadata,
    private readonly latentScaling: LatentScaling,
    /** Whether an empty negative prompt conditions on zeros instead of the encoded empty text (SDXL's force_zeros_for_empty_prompt). */
    private readonly zerosForEmptyNegative: boolean,
    /** Whether the UNet takes [uncond, cond] as one batch of 2, or one row per run. */
    private readonly batchedGuidance: boolean,
  ) {}

  static async load(store: ModelStore, sessions: ModelSessions, source: PipelineSource): Promise<DiffusionPipeline> {
    const { repo } = source;
    const index = await (await ModelFiles.resolve(store, source, [FILES.index])).json(FILES.index);
    const family: DiffusionFamily = 'text_encoder_2' in index || String(index._class_name).includes('XL') ? 'stable-diffusion-xl' : 'stable-diffusion';
    const encoderFolders = family === 'stable-diffusion-xl' ? ['text_encoder', 'text_encoder_2'] : ['text_encoder'];
    const tokenizerFolders = family === 'stable-diffusion-xl' ? ['tokenizer', 'tokenizer_2'] : ['tokenizer'];
    const files = await ModelFiles.resolve(store, source, [
      ...Object.values(FILES),
      ...encoderFolders.flatMap((folder) => Object.values(encoderFiles(folder))),
      ...tokenizerFolders.flatMap(tokenizerFiles),
    ]);
    const [schedulerConfig, unetConfig, vaeConfig] = await Promise.all([
      files.json(FILES.scheduler),
      files.json(FILES.unetConfig),
      files.json(FILES.vaeConfig),
    ]);

    const encoders = await Promise.all(
      encoderFolders.map(async (folder, position) => {
        const { model, config: configFile } = encoderFiles(folder);
        const place = { repo, file: model };
        const config = await files.json(configFile);
        const width = configCount(repo, configFile, config, 'hidden_size');
        const tokenizerFolder = tokenizerFolders[position];
        const tokenizerConfig = await files.json(`${tokenizerFolder}/tokenizer_config.json`);
        const tokenizer = ClipTokenizer.fromFiles(
          repo,
          tokenizerFolder,
          {
            vocab: await files.json(`${tokenizerFolder}/vocab.json`),
            merges: await files.text(`${tokenizerFolder}/merges.txt`),
            config: tokenizerConfig,
            specialTokens: await files.json(`${tokenizerFolder}/special_tokens_map.json`),
          },
          configCount(repo, `${tokenizerFolder}/tokenizer_config.json`, tokenizerConfig, 'model_max_length', 77),
        );
        const session = await loadSession(store, sessions, source, files, model);
        if (family === 'stable-diffusion') return new ClipPromptEncoder(place, session, tokenizer, width, { states: 'last_hidden_state' });
        const states = penultimateHiddenState(place, session, configCount(repo, configFile, config, 'num_hidden_layers'));
        // SDXL pools the second encoder's projection (text_embeds) only.
        const pooled = position === 1 ? 'text_embeds' : undefined;
        return new ClipPromptEncoder(place, session, tokenizer, width, { states, pooled });
      }),
    );
    const lengths = new Set(encoders.map((encoder) => encoder.tokenizer.length));
    if (lengths.size !== 1) throw new DiffusionModelError(repo, undefined, `the tokenizers pad to different lengths (${[...lengths].join(', ')})`);

    const unet = await loadSession(store, sessions, source, files, FILES.unet);
    const unetPlace = { repo, file: FILES.unet };
    const input = (name: string) => tensorMetadata(unetPlace, unet.inputs, name, 'input');
    const unetInputs: UnetInputs = {
      sample: input('sample'),
      timestep: input('timestep'),
      encoderHiddenStates: input('encoder_hidden_states'),
      ...(family === 'stable-diffusion-xl' ? { textEmbeds: input('text_embeds'), timeIds: input('time_ids') } : {}),
    };
    const known = new Set(Object.values(unetInputs).map((metadata: TensorMetadata) => metadata.name));
    const unknown = unet.inputs.filter((metadata) => !known.has(metadata.name)).map((metadata) => metadata.name);
    if (unknown.length > 0) throw new DiffusionModelError(repo, FILES.unet, `takes inputs this pipeline cannot feed: ${unknown.join(', ')}`, unknown[0]);
    for (const metadata of Object.values(unetInputs) as TensorMetadata[]) if (metadata.name !== 'timestep') assertFloatInput(unetPlace, metadata);
    assertTimestepFeedable(unetPlace, unetInputs.timestep, schedulerConfig);
    tensorMetadata(unetPlace, unet.outputs, 'out_sample', 'output');
    const textWidth = encoders.reduce((sum, encoder) => sum + encoder.width, 0);
    const statesWidth = unetInputs.encoderHiddenStates.shape[2];
    if (typeof statesWidth === 'number' && statesWidth !== textWidth) {
      throw new DiffusionModelError(repo, FILES.unet, `takes states of width ${statesWidth}, the text encoders give ${textWidth}`, 'encoder_hidden_states');
    }
    const sampleBatch = unetInputs.sample.shape[0];
    const batchedGuidance = typeof sampleBatch !== 'number' || sampleBatch === 2;
    const latentChannels = configCount(
      repo,
      FILES.unetConfig,
      unetConfig,
      'in_channels',
      typeof unetInputs.sample.shape[1] === 'number' ? unetInputs.sample.shape[1] : undefined,
    );

    const vae = await loadSession(store, sessions, source, files, FILES.vae);
    const vaePlace = { repo, file: FILES.vae };
    const vaeInput = tensorMetadata(vaePlace, vae.inputs, 'latent_sample', 'input');
    assertFloatInput(vaePlace, vaeInput);
    tensorMetadata(vaePlace, vae.outputs, 'sample', 'output');
    const blocks = vaeConfig.block_out_channels;
    if (!Array.isArray(blocks) || blocks.length === 0) throw new DiffusionModelError(repo, FILES.vaeConfig, '"block_out_channels" must be a non-empty list');
    const scalingFactor = vaeConfig.scaling_factor;
    if (typeof scalingFactor !== 'number' || !(scalingFactor > 0))
      throw new DiffusionModelError(repo, FILES.vaeConfig, '"scaling_factor" must be a positive number');
    const mean = configNumbers(repo, FILES.vaeConfig, vaeConfig, 'latents_mean', latentChannels);
    const std = configNumbers(repo, FILES.vaeConfig, vaeConfig, 'latents_std', latentChannels);
    if ((mean === undefined) !== (std === undefined)) throw new DiffusionModelError(repo, FILES.vaeConfig, 'has only one of "latents_mean" and "latents_std"');

    const schedulerName = typeof schedulerConfig._class_name === 'string' ? schedulerConfig._class_name : 'unknown';
    // Fails now, with the scheduler's own error, on a scheduler this build does not have.
    createScheduler(schedulerConfig, 1, new SeededNoise(0));
    return new DiffusionPipeline(
      repo,
      family,
      schedulerConfig,
      schedulerName,
      2 ** (blocks.length - 1),
      encoders,
      unet,
      unetInputs,
      latentChannels,
      vae,
      vaeInput,
      { scalingFactor, mean, std },
      family === 'stable-diffusion-xl' && index.force_zeros_for_empty_prompt !== false,
      batchedGuidance,
    );
  }

  describe(): Record<string, unknown> {
    return {
      repo: this.repo,
      family: this.family,
      scheduler: this.schedulerName,
      sizeMultiple: this.sizeMultiple,
      latentChannels: this.latentChannels,
      textEncoders: this.encoders.map((encoder) => ({
        session: encoder.session.name,
        width: encoder.width,
        states: encoder.choice.states,
        pooled: encoder.choice.pooled ?? null,
      })),
      unet: {
        session: this.unet.name,
        timestep: `${this.unetInputs.timestep.type} [${this.unetInputs.timestep.shape.join(', ')}]`,
        guidanceBatch: this.batchedGuidance ? 2 : 1,
      },
      vae: { session: this.vae.name, ...this.latentScaling },
      zerosForEmptyNegativePrompt: this.zerosForEmptyNegative,
    };
  }

  async generate(request: GenerationRequest, control: GenerationControl): Promise<GenerationResult> {
    this.validate(request);
    const { signal, cutOff, onStep } = control;
    const runControl = { cutOff };
    const guided = request.guidanceScale > 1;

    const encodeStarted = performance.now();
    signal.throwIfAborted();
    const conditioning = await this.condition(request, guided, cutOff);
    const encodePrompt = seconds(encodeStarted);

    const denoiseStarted = performance.now();
    const noise = new SeededNoise(request.seed);
    const scheduler = createScheduler(this.schedulerConfig, request.steps, noise);
    const latentHeight = request.height / this.sizeMultiple;
    const latentWidth = request.width / this.sizeMultiple;
    const size = this.latentChannels * latentHeight * latentWidth;
    let latents = noise.normal(size);
    for (let i = 0; i < size; i++) latents[i] *= scheduler.initNoiseSigma;

    const runs = this.batchedGuidance
      ? [{ first: 0, rows: conditioning.rows }]
      : Array.from({ length: conditioning.rows }, (_, row) => ({ first: row, rows: 1 }));
    const perRun = runs.map(({ first, rows }) => this.conditioningFeeds(conditioning, first, rows));
    const modelInput = new Float32Array(size * runs[0].rows);
    const guidedNoise = guided ? new Float32Array(size) : undefined;
    let unet = 0;
    for (let step = 0; step < scheduler.steps; step++) {
      const scaled = scheduler.scaleModelInput(latents, step);
      for (let row = 0; row < runs[0].rows; row++) modelInput.set(scaled, row * size);
      const sample = floatTensor(this.unetInputs.sample, modelInput, [runs[0].rows, this.latentChannels, latentHeight, latentWidth]);
      const timestep = this.timestepTensor(scheduler.timesteps[step], runs[0].rows);
      const outputs: Float32Array[] = [];
      for (const feeds of perRun) {
        signal.throwIfAborted();
        const started = performance.now();
        const result = await this.unet.run({ ...feeds, sample, timestep }, undefined, runControl);
        unet += seconds(started);
        outputs.push(floatValues({ repo: this.repo, file: FILES.unet }, result.out_sample, 'out_sample'));
      }
      const prediction = guidedNoise ? applyGuidance(outputs, size, request.guidanceScale, guidedNoise) : outputs[0];
      latents = scheduler.step(prediction.length === size ? prediction : prediction.subarray(0, size), step, latents);
      await onStep?.(step + 1, scheduler.steps);
    }
    const denoise = seconds(denoiseStarted);

    const decodeStarted = performance.now();
    signal.throwIfAborted();
    const image = await this.decode(latents, latentHeight, latentWidth, request, cutOff);
    return {
      image,
      promptTruncated: conditioning.promptTruncated,
      negativePromptTruncated: conditioning.negativePromptTruncated,
      timingsMs: { encodePrompt, denoise, decode: seconds(decodeStarted), unet },
    };
  }

  private validate(request: GenerationRequest): void {
    const fail = (detail: string) => {
      throw new GenerationRequestError(this.repo, detail);
    };
    for (const [name, value] of [
      ['width', request.width],
      ['height', request.height],
    ] as const) {
      if (!Number.isInteger(value) || value <= 0) fail(`${name} must be a positive whole number, got ${value}`);
      if (value % this.sizeMultiple !== 0) fail(`${name} ${value} is not a multiple of ${this.sizeMultiple} (the VAE's scale factor)`);
    }
    if (!Number.isInteger(request.steps) || request.steps <= 0) fail(`steps must be a positive whole number, got ${request.steps}`);
    if (!Number.isFinite(request.guidanceScale)) fail(`guidanceScale must be a finite number, got ${request.guidanceScale}`);
    if (!Number.isSafeInteger(request.seed) || request.seed < 0) fail(`seed must be a whole number from 0 to 2^53 − 1, got ${request.seed}`);
  }

  /** Both prompts through every text encoder; SDXL's size ids beside them. */
  private async condition(request: GenerationRequest, guided: boolean, cutOff: AbortSignal | undefined): Promise<Conditioning> {
    const length = this.encoders[0].tokenizer.length;
    const encodeAll = (text: string) => Promise.all(this.encoders.map((encoder) => encoder.encode(text, cutOff)));
    const prompt = await encodeAll(request.prompt);
    const zeroNegative = guided && this.zerosForEmptyNegative && request.negativePrompt === '';
    const negative = guided && !zeroNegative ? await encodeAll(request.negativePrompt) : undefined;
    const join = (encoded: readonly EncodedText[]) =>
      concatenateStates(
        encoded.map((part, index) => ({ states: part.states, width: this.encoders[index].width })),
        length,
      );
    const pooledOf = (encoded: readonly EncodedText[]) => encoded.find((part) => part.pooled)?.pooled;
    const promptStates = join(prompt);
    const promptPooled = pooledOf(prompt);
    const rows = guided ? 2 : 1;
    const stack = (conditioned: Float32Array | undefined, unconditioned: Float32Array | undefined) => {
      if (!conditioned) return undefined;
      if (!guided) return conditioned;
      const stacked = new Float32Array(conditioned.length * 2);
      // Zeros stay where the negative is zeroed out.
      if (unconditioned) stacked.set(unconditioned);
      stacked.set(conditioned, conditioned.length);
      return stacked;
    };
    const { height, width } = request;
    // diffusers' _get_add_time_ids with original and target size the requested size, no crop.
    const timeIds =
      this.family === 'stable-diffusion-xl'
        ? new Float32Array(rows * SDXL_TIME_IDS).map((_, i) => [height, width, 0, 0, height, width][i % SDXL_TIME_IDS])
        : undefined;
    return {
      rows,
      states: stack(promptStates, negative && join(negative))!,
      pooled: stack(promptPooled, negative && pooledOf(negative)),
      timeIds,
      promptTruncated: prompt.some((part) => part.truncated),
      negativePromptTruncated: negative?.some((part) => part.truncated) ?? false,
    };
  }

  /** The UNet feeds that stay the same every step, for the rows [first, first + rows). */
  private conditioningFeeds(conditioning: Conditioning, first: number, rows: number): InferenceSession.FeedsType {
    const slice = (values: Float32Array, perRow: number) => values.subarray(first * perRow, (first + rows) * perRow);
    const statesPerRow = conditioning.states.length / conditioning.rows;
    const { encoderHiddenStates, textEmbeds, timeIds } = this.unetInputs;
    const length = this.encoders[0].tokenizer.length;
    const feeds: Record<string, Tensor> = {
      encoder_hidden_states: floatTensor(encoderHiddenStates, slice(conditioning.states, statesPerRow), [rows, length, statesPerRow / length]),
    };
    if (textEmbeds && conditioning.pooled) {
      const pooledPerRow = conditioning.pooled.length / conditioning.rows;
      feeds.text_embeds = floatTensor(textEmbeds, slice(conditioning.pooled, pooledPerRow), [rows, pooledPerRow]);
    }
    if (timeIds && conditioning.timeIds) feeds.time_ids = floatTensor(timeIds, slice(conditioning.timeIds, SDXL_TIME_IDS), [rows, SDXL_TIME_IDS]);
    return feeds;
  }

  /** The scheduler's timestep in the UNet's own element type and shape (0-d, [1] or [batch]). */
  private timestepTensor(value: number, rows: number): Tensor {
    const metadata = this.unetInputs.timestep;
    const dims = metadata.shape.length === 0 ? [] : [typeof metadata.shape[0] === 'number' ? metadata.shape[0] : rows];
    const count = dims.length === 0 ? 1 : dims[0];
    switch (metadata.type) {
      case 'int64':
        // As diffusers' ONNX pipeline casts it (numpy's astype truncates toward zero).
        return new Tensor('int64', new BigInt64Array(count).fill(BigInt(Math.trunc(value))), dims);
      case 'int32':
        return new Tensor('int32', new Int32Array(count).fill(Math.trunc(value)), dims);
      default:
        return floatTensor(metadata, new Float32Array(count).fill(value), dims);
    }
  }

  private async decode(
    latents: Float32Array,
    latentHeight: number,
    latentWidth: number,
    request: GenerationRequest,
    cutOff: AbortSignal | undefined,
  ): Promise<ChwImage> {
    const unscaled = unscaleLatents(latents, this.latentChannels, this.latentScaling);
    const place: TensorPlace = { repo: this.repo, file: FILES.vae };
    const outputs = await this.vae.run(
      { latent_sample: floatTensor(this.vaeInput, unscaled, [1, this.latentChannels, latentHeight, latentWidth]) },
      undefined,
      { cutOff },
    );
    const sample = floatValues(place, outputs.sample, 'sample');
    if (sample.length !== 3 * request.width * request.height) {
      throw new DiffusionModelError(this.repo, FILES.vae, `decoded ${sample.length} values, expected 3×${request.height}×${request.width}`, 'sample');
    }
    // VaeImageProcessor.postprocess: [−1, 1] → [0, 1]; eightBitImage clamps and rounds.
    const unit = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) unit[i] = sample[i] / 2 + 0.5;
    return eightBitImage(unit, request.width, request.height);
  }
}

/** ε = ε_u + g·(ε_c − ε_u), from one [uncond, cond] batch output or two single-row outputs. */
export function applyGuidance(outputs: readonly Float32Array[], size: number, scale: number, into: Float32Array): Float32Array {
  const unconditioned = outputs[0];
  const conditioned = outputs.length === 1 ? outputs[0].subarray(size, 2 * size) : outputs[1];
  for (let i = 0; i < size; i++) {
    const u = unconditioned[i];
    into[i] = u + scale * (conditioned[i] - u);
  }
  return into;
}

/** Final latents as the VAE decoder takes them: z·std/scaling + mean per channel where the VAE has statistics, else z/scaling. */
export function unscaleLatents(latents: Float32Array, channels: number, { scalingFactor, mean, std }: LatentScaling): Float32Array {
  const plane = latents.length / channels;
  const out = new Float32Array(latents.length);
  for (let channel = 0; channel < channels; channel++) {
    const multiplier = (std ? std[channel] : 1) / scalingFactor;
    const offset = mean ? mean[channel] : 0;
    for (let i = channel * plane; i < (channel + 1) * plane; i++) out[i] = latents[i] * multiplier + offset;
  }
  return out;
}

/** An EDM scheduler's timestep is a continuous 0.25·ln σ: an integer timestep input cannot hold it. */
function assertTimestepFeedable(place: TensorPlace, timestep: TensorMetadata, schedulerConfig: JsonObject): void {
  const integer = timestep.type === 'int64' || timestep.type === 'int32';
  if (!integer) return assertFloatInput(place, timestep);
  if (String(schedulerConfig._class_name).startsWith('EDM')) {
    throw new DiffusionModelError(
      place.repo,
      place.file,
      `is ${timestep.type}, but ${String(schedulerConfig._class_name)}'s timesteps are not whole numbers`,
      'timestep',
    );
  }
  if (timestep.shape.length > 1)
    throw new DiffusionModelError(place.repo, place.file, `has rank ${timestep.shape.length}; a timestep is 0-d or 1-d`, 'timestep');
}
