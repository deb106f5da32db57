import { ConfigError } from '@switchyard/shared';
import { loadGeneratorConfig } from '../src/config';

describe('generator worker configuration', () => {
  it("serves the seed's model, Real-ESRGAN and the LAION head with the platform's limits unless told", () => {
    const { images } = loadGeneratorConfig({});
    expect(images.pipeline).toEqual({ repo: 'playgroundai/playground-v2.5-1024px-aesthetic', revision: 'main' });
    expect(images.upscaler).toEqual({ repo: 'ai-forever/Real-ESRGAN', revision: 'main', file: 'onnx/RealESRGAN_x4plus.onnx' });
    expect(images.aestheticHead).toEqual({ repo: 'LAION-AI/aesthetic-predictor', revision: 'main', file: 'sa_0_4_vit_b_32_linear.safetensors' });
    // Tiles are bounded by what one upscaler run may take: √(1024²).
    expect(images.generatorLimits).toEqual({ maxBasePixels: 2048 * 2048, maxOutputPixels: 8192 * 8192, maxSteps: 150, maxTileSize: 1024 });
    expect(images.upscalerLimits.maxTileSize).toBe(1024);
    expect(images.jpegQuality).toBe(95);
  });

  it('takes lower limits, which the worker checks besides the gateway', () => {
    const { images } = loadGeneratorConfig({ GENERATOR_MAX_STEPS: '40', GENERATOR_MAX_BASE_PIXELS: '1048576', UPSCALER_MAX_WHOLE_IMAGE_PIXELS: '262144' });
    expect(images.generatorLimits).toMatchObject({ maxSteps: 40, maxBasePixels: 1048576, maxTileSize: 512 });
  });

  it('refuses a tile limit the upscaler could not run, and bad values, naming them', () => {
    expect(() => loadGeneratorConfig({ GENERATOR_MAX_TILE_SIZE: '2048' })).toThrow(ConfigError);
    expect(() => loadGeneratorConfig({ GENERATOR_MAX_TILE_SIZE: '2048' })).toThrow(/GENERATOR_MAX_TILE_SIZE 2048 .* at most 1024/);
    expect(() => loadGeneratorConfig({ GENERATOR_JPEG_QUALITY: '101' })).toThrow(/GENERATOR_JPEG_QUALITY/);
  });
});
