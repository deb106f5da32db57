import { z } from 'zod';
import { QUEUES } from '../queues';
import { defineQueueContract } from './queue-contract';

/** The sizes, steps and tiles a generation may ask for; each is checked before any work starts. */
export interface GeneratorLimits {
  /** Width × height of the generated (base) image. */
  readonly maxBasePixels: number;
  /** Width × height after upscaling (production). */
  readonly maxOutputPixels: number;
  readonly maxSteps: number;
  /** The largest `tile_size`, in input pixels per tile side. */
  readonly maxTileSize: number;
}

/** 2048×2048 base images, 8192×8192 after upscaling (a 201 MB RGB buffer), 150 steps, tiles up to 2048. */
export const DEFAULT_GENERATOR_LIMITS: GeneratorLimits = {
  maxBasePixels: 2048 * 2048,
  maxOutputPixels: 8192 * 8192,
  maxSteps: 150,
  maxTileSize: 2048,
};

export const GENERATOR_ROUTES = ['create', 'production'] as const;
export type GeneratorRoute = (typeof GENERATOR_ROUTES)[number];

/** The seed's defaults per route (its parameter reference). */
export const GENERATOR_ROUTE_DEFAULTS: Readonly<Record<GeneratorRoute, { width: number; height: number; steps: number }>> = {
  create: { width: 1152, height: 768, steps: 25 },
  production: { width: 1024, height: 680, steps: 50 },
};
export const DEFAULT_CFG_SCALE = 7;
export const DEFAULT_UPSCALE_FACTOR = 4;
export const DEFAULT_TILE_SIZE = 1024;
/** Real-ESRGAN's default `tile_pad`: each tile is read with this many neighbouring pixels around it. */
export const UPSCALE_TILE_PAD = 10;
/** A tile must hold more than its padding on both sides. */
export const MIN_TILE_SIZE = 2 * UPSCALE_TILE_PAD + 1;
/** Sizes are multiples of the VAE's scale factor. */
export const GENERATOR_SIZE_MULTIPLE = 8;
export const MIN_GENERATOR_SIZE = 64;
export const MAX_PROMPT_LENGTH = 10_000;
/** `seed: -1` asks for a random seed; others are used as given, up to 2^53 − 1 (JSON's exact integers). */
export const RANDOM_SEED = -1;

const PRODUCTION_KEYS = ['upscale_factor', 'use_tiled_upscale', 'tile_size'] as const;
const COMMON_KEYS = ['route', 'prompt', 'negative_prompt', 'width', 'height', 'seed', 'steps', 'cfg_scale', 'filename'] as const;
const KNOWN_KEYS: readonly string[] = [...COMMON_KEYS, ...PRODUCTION_KEYS];

const dimension = z
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .min(MIN_GENERATOR_SIZE, `must be at least ${MIN_GENERATOR_SIZE}`)
  .multipleOf(GENERATOR_SIZE_MULTIPLE, `must be a multiple of ${GENERATOR_SIZE_MULTIPLE}`);

function message(path: string, text: string, ctx: z.core.$RefinementCtx) {
  ctx.addIssue({ code: 'custom', path: [path], message: text });
}

/**
 * The `generator` contract with the given limits: the seed's two routes, `create` (generation
 * with an aesthetic score) and `production` (generation, then upscaling once), with the seed's
 * inputs and per-route defaults. The parsed input has every default filled in.
 */
export function createGeneratorContract(limits: GeneratorLimits = DEFAULT_GENERATOR_LIMITS) {
  const input = z
    .object(
      {
        route: z.string({
          error: (issue) =>
            issue.input === undefined ? 'Invalid route: route is required ("create" or "production")' : 'Invalid route: must be "create" or "production"',
        }),
        prompt: z
          .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
          .max(MAX_PROMPT_LENGTH, `must be at most ${MAX_PROMPT_LENGTH} characters`),
        negative_prompt: z.string({ error: 'must be a string' }).max(MAX_PROMPT_LENGTH, `must be at most ${MAX_PROMPT_LENGTH} characters`).default(''),
        width: dimension.optional(),
        height: dimension.optional(),
        seed: z
          .number({ error: 'must be a number' })
          .int('must be a whole number')
          .min(RANDOM_SEED, 'must be -1 (random) or at least 0')
          .max(Number.MAX_SAFE_INTEGER, `must be at most ${Number.MAX_SAFE_INTEGER}`)
          .default(RANDOM_SEED),
        steps: z
          .number({ error: 'must be a number' })
          .int('must be a whole number')
          .min(1, 'must be at least 1')
          .max(limits.maxSteps, `must be at most ${limits.maxSteps}`)
          .optional(),
        cfg_scale: z.number({ error: 'must be a number' }).min(0, 'must be at least 0').max(50, 'must be at most 50').default(DEFAULT_CFG_SCALE),
        filename: z.string({ error: 'must be a string' }).max(255, 'must be at most 255 characters').optional(),
        upscale_factor: z.number({ error: 'must be a number' }).gt(1, 'must be above 1').max(8, 'must be at most 8').optional(),
        use_tiled_upscale: z.boolean({ error: 'must be true or false' }).optional(),
        tile_size: z
          .number({ error: 'must be a number' })
          .int('must be a whole number')
          .min(MIN_TILE_SIZE, `must be at least ${MIN_TILE_SIZE} (more than the ${UPSCALE_TILE_PAD}-pixel tile padding on each side)`)
          .max(limits.maxTileSize, `must be at most ${limits.maxTileSize}`)
          .optional(),
      },
      { error: 'must be a JSON object' },
    )
    .catchall(z.unknown())
    .superRefine((value, ctx) => {
      for (const key of Object.keys(value)) {
        if (!KNOWN_KEYS.includes(key)) message(key, `is not a field of generator; fields are ${KNOWN_KEYS.join(', ')}`, ctx);
      }
      if (!(GENERATOR_ROUTES as readonly string[]).includes(value.route)) {
        message('route', `Invalid route ${JSON.stringify(value.route)}: use "create" or "production"`, ctx);
        return;
      }
      if (value.prompt.trim() === '') message('prompt', 'must not be empty', ctx);
      const route = value.route as GeneratorRoute;
      if (route === 'create') {
        for (const key of PRODUCTION_KEYS)
          if (value[key] !== undefined) message(key, 'is a field of route "production" only (route "create" does not upscale)', ctx);
        return;
      }
    })
    .transform((value, ctx) => {
      const route = value.route as GeneratorRoute;
      const defaults = GENERATOR_ROUTE_DEFAULTS[route];
      const width = value.width ?? defaults.width;
      const height = value.height ?? defaults.height;
      const common = {
        prompt: value.prompt,
        negative_prompt: value.negative_prompt,
        width,
        height,
        seed: value.seed,
        steps: value.steps ?? defaults.steps,
        cfg_scale: value.cfg_scale,
        ...(value.filename !== undefined ? { filename: value.filename } : {}),
      };
      if (width * height > limits.maxBasePixels) {
        message(value.width !== undefined ? 'width' : 'height', `${width}×${height} is over the limit of ${limits.maxBasePixels} pixels`, ctx);
        return z.NEVER;
      }
      if (route === 'create') return { route, ...common };
      const upscaleFactor = value.upscale_factor ?? DEFAULT_UPSCALE_FACTOR;
      const finalWidth = Math.trunc(width * upscaleFactor);
      const finalHeight = Math.trunc(height * upscaleFactor);
      if (finalWidth * finalHeight > limits.maxOutputPixels) {
        message(
          'upscale_factor',
          `${width}×${height} upscaled ${upscaleFactor}× is ${finalWidth}×${finalHeight}, over the limit of ${limits.maxOutputPixels} pixels`,
          ctx,
        );
        return z.NEVER;
      }
      return {
        route,
        ...common,
        upscale_factor: upscaleFactor,
        use_tiled_upscale: value.use_tiled_upscale ?? true,
        tile_size: value.tile_size ?? DEFAULT_TILE_SIZE,
      };
    });

  const common = {
    prompt: z.string(),
    negative_prompt: z.string(),
    /** The seed used: the one given, or the random one drawn for `seed: -1`. */
    seed: z.number().int(),
    steps: z.number().int(),
    cfg_scale: z.number(),
    /** The pipeline's repository name, as the seed reported it (`playground-v2.5-1024px-aesthetic`). */
    model: z.string(),
    scheduler: z.string(),
    /** Prompts longer than the text encoder's 77 tokens are cut; these say whether that happened. */
    prompt_truncated: z.boolean(),
    negative_prompt_truncated: z.boolean(),
    timings_ms: z.record(z.string(), z.number()),
    execution_provider: z.string(),
  };
  const output = z.discriminatedUnion('route', [
    z.object({
      route: z.literal('create'),
      /** Base64 JPEG, or its URL when the request carried `s3Config`. */
      image: z.string(),
      /** The LAION aesthetic predictor's rating (about 3–8 on its 0–10 scale). */
      aesthetic_score: z.number(),
      metadata: z.object({ ...common, width: z.number().int(), height: z.number().int(), filename: z.string().nullable() }),
    }),
    z.object({
      route: z.literal('production'),
      image: z.string(),
      metadata: z.object({
        ...common,
        base_width: z.number().int(),
        base_height: z.number().int(),
        final_width: z.number().int(),
        final_height: z.number().int(),
        upscale_factor: z.number(),
        upscaler: z.string(),
        tiles: z.number().int(),
        filename: z.string().nullable(),
      }),
    }),
  ]);

  return defineQueueContract({
    queue: QUEUES.generator,
    description:
      'Text-to-image (the seed’s unified endpoint): `route` "create" answers a JPEG with a LAION aesthetic score; "production" ' +
      'generates and upscales once with tiled Real-ESRGAN 4× (`upscale_factor`, `use_tiled_upscale`, `tile_size`). Progress per ' +
      'denoising step and per tile.',
    input,
    output,
    inputShape: { maxDepth: 1, maxKeys: 32, maxStringLength: MAX_PROMPT_LENGTH },
    // With s3Config, the image goes to the caller's bucket and `image` is its URL.
    fileOutputs: ['image'],
  });
}

export const generatorContract = createGeneratorContract();

export type GeneratorInput = z.input<typeof generatorContract.input>;
/** The input as the worker receives it: checked, with the route's defaults filled in. */
export type GeneratorRequest = z.output<typeof generatorContract.input>;
export type GeneratorOutput = z.infer<typeof generatorContract.output>;
