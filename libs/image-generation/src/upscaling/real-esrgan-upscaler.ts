import { readFile } from 'node:fs/promises';
import { Tensor } from 'onnxruntime-node';
import { assertChwImage, type ChwImage } from '@switchyard/image-detection';
import type { ModelSession, ModelSessions, ModelStore } from '@switchyard/model-runtime';
import { toEightBit } from '../eight-bit';
import { resizeLanczos } from './lanczos-resize';
import { reflectIndex, tilePlan, type AxisSpan, type TileRect } from './tile-plan';
import { UpscaleRefusedError, UpscalerModelError } from './upscale-errors';

export interface UpscaleOptions {
  /** Input pixels per tile side; undefined = the whole image in one run (refused past limits.maxWholeImagePixels). */
  readonly tileSize?: number;
  /** Real neighbouring pixels added around each tile (default 10). */
  readonly tilePad?: number;
  /** Pixels reflect-padded onto the right and bottom edges before tiling, cropped off after (the reference's pre_pad; default 0, as its CLI). */
  readonly prePad?: number;
  /** Final scale relative to the input (default: the network's scale, 4). */
  readonly outscale?: number;
  readonly signal: AbortSignal;
  /** Passed to session.run as { cutOff } (see libs/worker/src/job-context.ts). */
  readonly cutOff?: AbortSignal;
  /** Called after each tile (1-based count done, total). */
  readonly onTile?: (done: number, total: number) => void | Promise<void>;
}

export interface UpscalerLimits {
  /** Largest input (w×h) run in one piece without tiling. */
  readonly maxWholeImagePixels: number;
}

export const DEFAULT_TILE_PAD = 10;

export interface UpscalerSource {
  readonly repo: string;
  readonly revision?: string;
  /** default 'onnx/RealESRGAN_x4plus.onnx' */
  readonly file?: string;
}

export const REAL_ESRGAN_FILE = 'onnx/RealESRGAN_x4plus.onnx';
const CONFIG_FILE = 'config.json';
/** The side of the zeros image a dynamic graph is warmed up (and its scale measured) on. */
const WARM_UP_SIDE = 16;

/** A graph's fixed input height and width; undefined on a dynamic axis. */
interface InputSize {
  readonly height: number | undefined;
  readonly width: number | undefined;
}

/** Options after validation, with the tile each axis is cut into. */
interface UpscalePlan {
  readonly tilePad: number;
  readonly prePad: number;
  readonly tileWidth: number;
  readonly tileHeight: number;
  readonly outWidth: number;
  readonly outHeight: number;
}

function isWholeNumber(value: number, minimum: number): boolean {
  return Number.isInteger(value) && value >= minimum;
}

function fixedDims(session: ModelSession, model: string): InputSize {
  const [input] = session.inputs;
  if (session.inputs.length !== 1 || !input.isTensor || input.type !== 'float32' || input.shape.length !== 4 || input.shape[1] !== 3) {
    throw new UpscalerModelError(model, 'expected one float32 input [batch, 3, height, width]');
  }
  const [, , height, width] = input.shape;
  return { height: typeof height === 'number' ? height : undefined, width: typeof width === 'number' ? width : undefined };
}

async function configuredScale(model: string, path: string): Promise<number | undefined> {
  const config = JSON.parse(await readFile(path, 'utf8')) as { scale?: unknown };
  if (config.scale === undefined) return undefined;
  if (typeof config.scale !== 'number' || !isWholeNumber(config.scale, 1)) {
    throw new UpscalerModelError(model, `${CONFIG_FILE} "scale" must be a positive whole number, got ${JSON.stringify(config.scale)}`);
  }
  return config.scale;
}

/**
 * Real-ESRGAN (RRDBNet, RGB NCHW in [0, 1] → ×scale) from ONNX, tiled as RealESRGANer.tile_process
 * tiles: each tile's window gets `tilePad` real neighbours, the model runs on the window, and the
 * output part of the neighbours is cropped off; crops sit side by side, without blending. Each crop
 * is turned into 8-bit samples and written straight into the output, so memory holds one tile's
 * tensors besides the 8-bit output.
 *
 * A graph with a fixed input size (the reference export's 1×3×64×64) gets tiles of at most the
 * fixed side less twice the pad, so every padded window fits. The window is then widened with more
 * real neighbours up to the fixed size where the image has them (shifted inward at the right and
 * bottom edges, so the model sees the image edge where an untiled run does); only an image smaller
 * than the fixed size is reflect-padded on its right and bottom, and the crop, taken from the
 * window's origin, never reaches that padding.
 */
export class RealEsrganUpscaler {
  readonly name: string;

  private constructor(
    private readonly session: ModelSession,
    private readonly source: UpscalerSource & { readonly file: string },
    private readonly limits: UpscalerLimits,
    readonly scale: number,
    private readonly inputSize: InputSize,
  ) {
    this.name = `Real-ESRGAN ${scale}x`;
  }

  static async load(store: ModelStore, sessions: ModelSessions, source: UpscalerSource, limits: UpscalerLimits): Promise<RealEsrganUpscaler> {
    const file = source.file ?? REAL_ESRGAN_FILE;
    const model = `${source.repo}/${file}`;
    if (!isWholeNumber(limits.maxWholeImagePixels, 1))
      throw new RangeError(`maxWholeImagePixels must be a positive whole number, got ${limits.maxWholeImagePixels}`);
    const resolved = await store.resolve({ repo: source.repo, revision: source.revision, files: [file, CONFIG_FILE] });
    const [graphPath, configPath] = resolved.files.map((resolvedFile) => resolvedFile.path);
    const session = await sessions.load(graphPath, { name: model });
    const inputSize = fixedDims(session, model);
    const warmHeight = inputSize.height ?? WARM_UP_SIDE;
    const warmWidth = inputSize.width ?? WARM_UP_SIDE;
    // The scale as the graph computes it, which the warm-up run measures for dynamic axes too.
    const outputs = await session.run({
      [session.inputs[0].name]: new Tensor('float32', new Float32Array(3 * warmHeight * warmWidth), [1, 3, warmHeight, warmWidth]),
    });
    const [, channels, outHeight, outWidth] = outputs[session.outputs[0].name].dims;
    const scale = outHeight / warmHeight;
    if (channels !== 3 || !isWholeNumber(scale, 1) || outWidth !== warmWidth * scale) {
      throw new UpscalerModelError(
        model,
        `a 3×${warmHeight}×${warmWidth} input gave ${outputs[session.outputs[0].name].dims.join('×')}, not a whole-number RGB upscale`,
      );
    }
    const stated = await configuredScale(model, configPath);
    if (stated !== undefined && stated !== scale) throw new UpscalerModelError(model, `${CONFIG_FILE} states scale ${stated}, the graph upscales ×${scale}`);
    // RealESRGANer reflect-pads ×1 and ×2 networks to a multiple of 4 and 2 (their pixel-unshuffle input); this tiler does not.
    if (scale < 4) throw new UpscalerModelError(model, `×${scale} networks need the reference's mod padding, which is not supported`);
    return new RealEsrganUpscaler(session, { ...source, file }, limits, scale, inputSize);
  }

  /** Tiles an upscale of a width×height image would run (for validation and progress). */
  tileCount(width: number, height: number, tileSize?: number, tilePad = DEFAULT_TILE_PAD): number {
    const plan = this.plan(width, height, { tileSize, tilePad });
    return Math.ceil(width / plan.tileWidth) * Math.ceil(height / plan.tileHeight);
  }

  async upscale(image: ChwImage, options: UpscaleOptions): Promise<ChwImage> {
    assertChwImage(image);
    if (image.channels !== 3 || !(image.data instanceof Uint8Array))
      throw new UpscaleRefusedError('image', 'image must be 8-bit RGB (a Uint8Array of 3 channels)');
    const plan = this.plan(image.width, image.height, options);
    const { signal, cutOff, onTile } = options;
    const scale = this.scale;
    const fullWidth = image.width * scale;
    const fullHeight = image.height * scale;
    const out = new Uint8Array(3 * fullWidth * fullHeight);
    const paddedWidth = image.width + plan.prePad;
    const paddedHeight = image.height + plan.prePad;
    const tiles = tilePlan(paddedWidth, paddedHeight, plan.tileWidth, plan.tileHeight, plan.tilePad);
    for (let index = 0; index < tiles.length; index++) {
      signal.throwIfAborted();
      const tile = this.fitted(tiles[index], paddedWidth, paddedHeight);
      const window = this.windowTensor(image, tile);
      const outputs = await this.session.run({ [this.session.inputs[0].name]: window }, undefined, { cutOff });
      const output = outputs[this.session.outputs[0].name];
      const [, , windowHeight, windowWidth] = window.dims;
      if (output.dims[2] !== windowHeight * scale || output.dims[3] !== windowWidth * scale) {
        throw new UpscalerModelError(this.session.name, `a ${windowHeight}×${windowWidth} tile gave ${output.dims.join('×')}`);
      }
      writeCrop(output.data as Float32Array, output.dims[3], output.dims[2], tile, scale, out, fullWidth, fullHeight);
      await onTile?.(index + 1, tiles.length);
    }
    const upscaled: ChwImage = { data: out, channels: 3, height: fullHeight, width: fullWidth };
    return plan.outWidth === fullWidth && plan.outHeight === fullHeight ? upscaled : resizeLanczos(upscaled, plan.outWidth, plan.outHeight);
  }

  describe(): Record<string, unknown> {
    return {
      name: this.name,
      repo: this.source.repo,
      revision: this.source.revision ?? null,
      file: this.source.file,
      scale: this.scale,
      fixedInput:
        this.inputSize.height === undefined && this.inputSize.width === undefined
          ? null
          : { height: this.inputSize.height ?? null, width: this.inputSize.width ?? null },
      maxWholeImagePixels: this.limits.maxWholeImagePixels,
      defaultTilePad: DEFAULT_TILE_PAD,
    };
  }

  /**
   * Checks the options against the image and the limits, before any run. A tile must be longer
   * than its pad (else most of each run is neighbours), and no larger than the limit of one run.
   * On a fixed input axis the tile is cut down to what fits with its pads.
   */
  private plan(width: number, height: number, options: Pick<UpscaleOptions, 'tileSize' | 'tilePad' | 'prePad' | 'outscale'>): UpscalePlan {
    const { tileSize, tilePad = DEFAULT_TILE_PAD, prePad = 0, outscale = this.scale } = options;
    const { maxWholeImagePixels } = this.limits;
    if (!isWholeNumber(tilePad, 0)) throw new UpscaleRefusedError('tilePad', `tilePad must be a whole number ≥ 0, got ${tilePad}`);
    if (!isWholeNumber(prePad, 0)) throw new UpscaleRefusedError('prePad', `prePad must be a whole number ≥ 0, got ${prePad}`);
    if (!(Number.isFinite(outscale) && outscale > 0)) throw new UpscaleRefusedError('outscale', `outscale must be a positive number, got ${outscale}`);
    const outWidth = Math.floor(width * outscale);
    const outHeight = Math.floor(height * outscale);
    if (outWidth < 1 || outHeight < 1) throw new UpscaleRefusedError('outscale', `outscale ${outscale} leaves no pixel of a ${width}×${height} image`);
    const paddedWidth = width + prePad;
    const paddedHeight = height + prePad;
    if (tileSize !== undefined) {
      if (!isWholeNumber(tileSize, 1) || tileSize <= tilePad) {
        throw new UpscaleRefusedError('tileSize', `tileSize must be a whole number greater than tilePad (${tilePad}), got ${tileSize}`);
      }
      if (tileSize * tileSize > maxWholeImagePixels) {
        throw new UpscaleRefusedError(
          'tileSize',
          `tileSize ${tileSize} makes tiles of ${tileSize * tileSize} pixels, over the limit of ${maxWholeImagePixels}`,
        );
      }
    } else if (paddedWidth * paddedHeight > maxWholeImagePixels && this.inputSize.width === undefined && this.inputSize.height === undefined) {
      throw new UpscaleRefusedError(
        'tileSize',
        `a ${paddedWidth}×${paddedHeight} image (${paddedWidth * paddedHeight} pixels) is over the limit of ${maxWholeImagePixels} for one untiled run: set tileSize`,
      );
    }
    const axisTile = (length: number, fixed: number | undefined): number => {
      const requested = tileSize ?? length;
      if (fixed === undefined) return requested;
      const fits = fixed - 2 * tilePad;
      if (fits < 1) throw new UpscaleRefusedError('tilePad', `tilePad ${tilePad} leaves no room in the model's fixed ${fixed}-pixel input`);
      return Math.min(requested, fits);
    };
    return {
      tilePad,
      prePad,
      tileWidth: axisTile(paddedWidth, this.inputSize.width),
      tileHeight: axisTile(paddedHeight, this.inputSize.height),
      outWidth,
      outHeight,
    };
  }

  /** A tile whose window is widened to the fixed input size with real neighbours, as far as the image has them. */
  private fitted({ x, y }: TileRect, width: number, height: number): TileRect {
    const fit = (span: AxisSpan, length: number, fixed: number | undefined): AxisSpan => {
      if (fixed === undefined || length <= fixed) return span;
      const padStart = Math.min(span.padStart, length - fixed);
      return { ...span, padStart, padEnd: padStart + fixed };
    };
    return { x: fit(x, width, this.inputSize.width), y: fit(y, height, this.inputSize.height) };
  }

  /**
   * The model input of one tile: its window of the (pre-padded) image as floats in [0, 1], reflect-
   * padded on the right and bottom up to a fixed input size. Pre-padding reflects the image itself.
   */
  private windowTensor(image: ChwImage, { x, y }: TileRect): Tensor {
    const contentWidth = x.padEnd - x.padStart;
    const contentHeight = y.padEnd - y.padStart;
    const width = this.inputSize.width ?? contentWidth;
    const height = this.inputSize.height ?? contentHeight;
    const columns = Int32Array.from({ length: width }, (_, i) => reflectIndex(x.padStart + reflectIndex(i, contentWidth), image.width));
    const data = new Float32Array(3 * width * height);
    const samples = image.data;
    const plane = image.width * image.height;
    for (let row = 0; row < height; row++) {
      const sourceRow = reflectIndex(y.padStart + reflectIndex(row, contentHeight), image.height) * image.width;
      for (let c = 0; c < 3; c++) {
        const source = c * plane + sourceRow;
        const target = (c * height + row) * width;
        for (let i = 0; i < width; i++) data[target + i] = samples[source + columns[i]] / 255;
      }
    }
    return new Tensor('float32', data, [1, 3, height, width]);
  }
}

/**
 * Writes the kept part of one tile's output (its [start, end) span ×scale, found at (start −
 * padStart)·scale in the window's output) into the 8-bit output, clipped to the output's size, which
 * drops what pre-padding added.
 */
function writeCrop(
  values: Float32Array,
  valuesWidth: number,
  valuesHeight: number,
  { x, y }: TileRect,
  scale: number,
  out: Uint8Array,
  outWidth: number,
  outHeight: number,
): void {
  const left = x.start * scale;
  const top = y.start * scale;
  const width = Math.min(x.end * scale, outWidth) - left;
  const height = Math.min(y.end * scale, outHeight) - top;
  if (width <= 0 || height <= 0) return;
  const cropLeft = (x.start - x.padStart) * scale;
  const cropTop = (y.start - y.padStart) * scale;
  for (let c = 0; c < 3; c++) {
    for (let row = 0; row < height; row++) {
      const from = (c * valuesHeight + cropTop + row) * valuesWidth + cropLeft;
      out.set(toEightBit(values.subarray(from, from + width)), (c * outHeight + top + row) * outWidth + left);
    }
  }
}
