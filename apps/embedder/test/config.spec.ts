import { ConfigError } from '@switchyard/shared';
import { loadEmbedderConfig } from '../src/config';

describe('loadEmbedderConfig', () => {
  it('serves the real repositories with the contract’s limits and public-only image fetching by default', () => {
    const config = loadEmbedderConfig({});
    expect(config.models).toEqual({
      miniLm: { repo: 'sentence-transformers/all-MiniLM-L6-v2', revision: 'main' },
      clip: { repo: 'openai/clip-vit-base-patch32', revision: 'main' },
    });
    expect(config.limits).toEqual({ maxTexts: 1024, maxImages: 64, maxTextChars: 32768, maxImageBytes: 10 * 1024 * 1024 });
    expect(config.images).toMatchObject({ maxPixels: 40_000_000, fetch: { timeoutMs: 10_000, maxRedirects: 3 } });
    expect(() => config.images.fetch.addressPolicy.checkAddress('127.0.0.1', undefined, 'http://127.0.0.1')).toThrow(/loopback/);
    expect(config.runtime.sessions.executionProviders).toEqual(['cpu']);
    expect(config.batching.maxWaitMs).toBe(0);
  });

  it('reads other weights, limits, batching and image fetching settings', () => {
    const config = loadEmbedderConfig({
      EMBEDDER_CLIP_REPO: 'Xenova/clip-vit-base-patch32',
      EMBEDDER_CLIP_REVISION: 'v1',
      EMBEDDER_MAX_TEXTS: '10',
      EMBEDDER_TEXT_BATCH_TOKENS: '4096',
      EMBEDDER_BATCH_WAIT_MS: '3',
      EMBEDDER_IMAGE_FETCH_ALLOW_PRIVATE: 'true',
    });
    expect(config.models.clip).toEqual({ repo: 'Xenova/clip-vit-base-patch32', revision: 'v1' });
    expect(config.limits.maxTexts).toBe(10);
    expect(config.batching).toMatchObject({ textBatchTokens: 4096, maxWaitMs: 3 });
    expect(() => config.images.fetch.addressPolicy.checkAddress('127.0.0.1', undefined, 'http://127.0.0.1')).not.toThrow();
  });

  it('drops transparency by default, as CLIPImageProcessor does, and flattens onto a colour when told to', () => {
    expect(loadEmbedderConfig({}).images.alpha).toBe('drop');
    expect(loadEmbedderConfig({ EMBEDDER_IMAGE_ALPHA: 'flatten:#FFFFFF' }).images.alpha).toEqual({ flatten: '#ffffff' });
    expect(() => loadEmbedderConfig({ EMBEDDER_IMAGE_ALPHA: 'flatten:white' })).toThrow(/EMBEDDER_IMAGE_ALPHA: must be "drop" or "flatten:#rrggbb"/);
  });

  it('refuses a batch queue too small for the largest request, which could then never run', () => {
    expect(() => loadEmbedderConfig({ EMBEDDER_MAX_TEXTS: '100', EMBEDDER_MAX_QUEUED_ITEMS: '99' })).toThrow(/EMBEDDER_MAX_QUEUED_ITEMS: must be at least 100/);
    expect(loadEmbedderConfig({ EMBEDDER_MAX_TEXTS: '100', EMBEDDER_MAX_QUEUED_ITEMS: '100' }).batching.maxQueuedItems).toBe(100);
  });

  it('names every invalid variable', () => {
    expect(() => loadEmbedderConfig({ EMBEDDER_MAX_TEXTS: '0', EMBEDDER_IMAGE_FETCH_ALLOW_PRIVATE: 'maybe' })).toThrow(ConfigError);
    expect(() => loadEmbedderConfig({ EMBEDDER_MAX_TEXTS: '0', EMBEDDER_IMAGE_FETCH_ALLOW_PRIVATE: 'maybe' })).toThrow(
      /EMBEDDER_MAX_TEXTS[\s\S]*EMBEDDER_IMAGE_FETCH_ALLOW_PRIVATE/,
    );
  });
});
