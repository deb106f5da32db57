import { createGeneratorContract, generatorContract, GENERATOR_ROUTE_DEFAULTS, upscalerContract } from '@switchyard/shared';

const parse = (input: unknown) => generatorContract.input.safeParse(input);
const firstIssue = (input: unknown) => {
  const result = parse(input);
  expect(result.success).toBe(false);
  const issue = result.error!.issues[0];
  return `${issue.path.join('.')}: ${issue.message}`;
};

describe('generator contract', () => {
  it("fills each route's defaults from the seed's parameter reference", () => {
    expect(parse({ route: 'create', prompt: 'a cat' }).data).toEqual({
      route: 'create',
      prompt: 'a cat',
      negative_prompt: '',
      ...GENERATOR_ROUTE_DEFAULTS.create,
      seed: -1,
      cfg_scale: 7,
    });
    expect(GENERATOR_ROUTE_DEFAULTS).toEqual({ create: { width: 1152, height: 768, steps: 25 }, production: { width: 1024, height: 680, steps: 50 } });
    expect(parse({ route: 'production', prompt: 'a cat' }).data).toEqual({
      route: 'production',
      prompt: 'a cat',
      negative_prompt: '',
      width: 1024,
      height: 680,
      steps: 50,
      seed: -1,
      cfg_scale: 7,
      upscale_factor: 4,
      use_tiled_upscale: true,
      tile_size: 1024,
    });
  });

  it('parses its own output again to the same request (the worker checks what the gateway parsed)', () => {
    for (const input of [
      { route: 'create', prompt: 'a', filename: 'f', seed: 9, width: 512, height: 256 },
      { route: 'production', prompt: 'b', upscale_factor: 2.5, use_tiled_upscale: false, tile_size: 256 },
    ]) {
      const once = parse(input).data;
      expect(parse(once).data).toEqual(once);
    }
  });

  it('answers the seed’s "Invalid route" for a missing or unknown route', () => {
    expect(firstIssue({ prompt: 'a' })).toMatch(/^route: Invalid route/);
    expect(firstIssue({ route: 'upscale', prompt: 'a' })).toBe('route: Invalid route "upscale": use "create" or "production"');
  });

  it('checks the limits it was made with: base pixels, output pixels, steps and tile size', () => {
    const contract = createGeneratorContract({ maxBasePixels: 256 * 256, maxOutputPixels: 512 * 512, maxSteps: 10, maxTileSize: 128 });
    const issue = (input: unknown) => contract.input.safeParse(input).error?.issues[0].message;
    expect(issue({ route: 'create', prompt: 'a', width: 512, height: 256 })).toMatch(/512×256 is over the limit of 65536 pixels/);
    expect(issue({ route: 'production', prompt: 'a', width: 256, height: 256, upscale_factor: 3 })).toMatch(/768×768, over the limit/);
    expect(issue({ route: 'create', prompt: 'a', width: 64, height: 64, steps: 11 })).toMatch(/at most 10/);
    expect(issue({ route: 'production', prompt: 'a', width: 64, height: 64, tile_size: 129 })).toMatch(/at most 128/);
    expect(contract.input.safeParse({ route: 'production', prompt: 'a', width: 256, height: 256, upscale_factor: 2 }).success).toBe(true);
  });

  it('keeps production fields off the create route', () => {
    expect(firstIssue({ route: 'create', prompt: 'a', tile_size: 512 })).toMatch(/^tile_size: is a field of route "production" only/);
  });
});

describe('upscaler contract', () => {
  it('defaults to 4×, 512-pixel tiles and JPEG, and takes exactly one image', () => {
    expect(upscalerContract.input.safeParse({ image_base64: 'aGVsbG8=' }).data).toEqual({
      image_base64: 'aGVsbG8=',
      scale: 4,
      tile_size: 512,
      output_format: 'jpeg',
    });
    expect(upscalerContract.input.safeParse({}).error?.issues[0].message).toMatch(/needs an image/);
    expect(upscalerContract.input.safeParse({ image_base64: 'aGVsbG8=', output_format: 'gif' }).error?.issues[0].path).toEqual(['output_format']);
  });
});
