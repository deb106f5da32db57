import sharp from 'sharp';
import { GeneratorWorkerUnderTest, eventually, startTestPlatform, type GatewayUnderTest, type TestPlatform } from './support/platform';
import { openEventStream, serverSentEvents } from './support/server-sent-events';

/** The seed's n8n "Decode Image" function node for the create route, run as n8n runs it. */
const CREATE_DECODE_NODE = `
const response = items[0].json;
const imageBuffer = Buffer.from(response.output.image, 'base64');
return [{
  json: { aesthetic_score: response.output.aesthetic_score, metadata: response.output.metadata },
  binary: { image: { data: imageBuffer, mimeType: 'image/jpeg', fileName: \`\${response.output.metadata.filename || 'generated'}.jpg\` } }
}];`;

/** The seed's n8n "Loop Until Complete" function node for the production route. */
const PRODUCTION_POLL_NODE = `
const status = items[0].json.status;
if (status === 'COMPLETED') {
  const imageBuffer = Buffer.from(items[0].json.output.image, 'base64');
  return [{ json: items[0].json.output.metadata, binary: { image: { data: imageBuffer, mimeType: 'image/jpeg', fileName: \`production_\${Date.now()}.jpg\` } } }];
} else if (status === 'FAILED') {
  throw new Error('Job failed: ' + items[0].json.error);
} else {
  return items;
}`;

type N8nItem = { json: any; binary?: { image: { data: Buffer; mimeType: string; fileName: string } } };
const runN8nFunction = (code: string, items: N8nItem[]): N8nItem[] => new Function('items', 'Buffer', code)(items, Buffer);

async function jpegSize(bytes: Buffer): Promise<{ format?: string; width?: number; height?: number }> {
  const { format, width, height } = await sharp(bytes).metadata();
  return { format, width, height };
}

describe('generator and upscaler endpoints through the RunPod-compatible API', () => {
  let platform: TestPlatform;
  let gateway: GatewayUnderTest;
  let worker: GeneratorWorkerUnderTest;

  const runsync = (endpoint: string, input: unknown) => gateway.request('POST', `/v2/${endpoint}/runsync?wait=120000`, { input });
  const refused = async (input: unknown) => {
    const response = await runsync('generator', input);
    expect(response.status).toBe(400);
    return response.body.error as string;
  };
  const status = (endpoint: string, id: string) => gateway.request('GET', `/v2/${endpoint}/status/${id}`);
  const finished = (endpoint: string, id: string, timeoutMs = 120_000) =>
    eventually(
      async () => {
        const response = await status(endpoint, id);
        return !['IN_QUEUE', 'IN_PROGRESS'].includes(response.body.status) && response.body;
      },
      timeoutMs,
      100,
    );

  beforeAll(async () => {
    platform = await startTestPlatform({ echoWorker: false });
    gateway = platform.gateway;
    worker = await GeneratorWorkerUnderTest.start(platform.stores.prefix);
  }, 120_000);

  afterAll(async () => {
    await worker?.close();
    await platform?.close();
  });

  it("runs the seed's n8n create flow: runsync, a JPEG of the requested size, the aesthetic score and the seed's metadata", async () => {
    const response = await runsync('generator', {
      route: 'create',
      prompt: 'A serene mountain landscape at sunset, highly detailed',
      negative_prompt: 'blurry, low quality, distorted',
      width: 1152,
      height: 768,
      seed: -1,
      steps: 25,
      cfg_scale: 7.0,
    });
    expect(response.body.status).toBe('COMPLETED');
    const [item] = runN8nFunction(CREATE_DECODE_NODE, [{ json: response.body }]);
    expect(item.binary!.image.fileName).toBe('generated.jpg');
    expect(await jpegSize(item.binary!.image.data)).toEqual({ format: 'jpeg', width: 1152, height: 768 });
    expect(typeof item.json.aesthetic_score).toBe('number');
    expect(Number.isFinite(item.json.aesthetic_score)).toBe(true);
    expect(item.json.metadata).toMatchObject({
      prompt: 'A serene mountain landscape at sunset, highly detailed',
      negative_prompt: 'blurry, low quality, distorted',
      width: 1152,
      height: 768,
      steps: 25,
      cfg_scale: 7,
      filename: null,
      model: 'playground-v2.5-1024px-aesthetic',
      prompt_truncated: false,
    });
    // seed -1 draws one, and reports it.
    expect(Number.isInteger(item.json.metadata.seed) && item.json.metadata.seed >= 0).toBe(true);
    expect(response.body.output.route).toBe('create');
  }, 180_000);

  it('gives the same image for the same seed, another for another seed, and keeps the filename', async () => {
    const input = { route: 'create', prompt: 'a red cube on a table', width: 128, height: 96, steps: 4, seed: 1234, filename: 'cube' };
    const [first, second, other] = [await runsync('generator', input), await runsync('generator', input), await runsync('generator', { ...input, seed: 4321 })];
    expect(first.body.output.image).toBe(second.body.output.image);
    expect(first.body.output.aesthetic_score).toBe(second.body.output.aesthetic_score);
    expect(other.body.output.image).not.toBe(first.body.output.image);
    expect(first.body.output.metadata).toMatchObject({ seed: 1234, filename: 'cube', width: 128, height: 96 });
    // The route's defaults fill what is left out.
    expect(first.body.output.metadata.cfg_scale).toBe(7);
  }, 120_000);

  it('says when a prompt was cut at the text encoder’s 77 tokens', async () => {
    const prompt = Array.from({ length: 120 }, (_, i) => `word${i}`).join(' ');
    const response = await runsync('generator', { route: 'create', prompt, width: 64, height: 64, steps: 1 });
    expect(response.body.output.metadata).toMatchObject({ prompt, prompt_truncated: true, negative_prompt_truncated: false });
  }, 60_000);

  it("runs the seed's n8n production flow: run, poll status until COMPLETED, one 4× upscale (1024×680 → 4096×2720)", async () => {
    const submitted = await gateway.request('POST', '/v2/generator/run', {
      input: { route: 'production', prompt: 'Professional product photography of a luxury watch', width: 1024, height: 680, steps: 50 },
    });
    expect(submitted.status).toBe(200);
    expect(submitted.body).toEqual({ id: expect.any(String), status: 'IN_QUEUE' });

    let items: N8nItem[] = [{ json: submitted.body }];
    for (let polls = 0; !items[0].binary; polls++) {
      expect(polls).toBeLessThan(600);
      await new Promise((resolve) => setTimeout(resolve, 250));
      items = runN8nFunction(PRODUCTION_POLL_NODE, [{ json: (await status('generator', submitted.body.id)).body }]);
    }
    const [item] = items;
    expect(await jpegSize(item.binary!.image.data)).toEqual({ format: 'jpeg', width: 4096, height: 2720 });
    expect(item.json).toMatchObject({
      prompt: 'Professional product photography of a luxury watch',
      base_width: 1024,
      base_height: 680,
      final_width: 4096,
      final_height: 2720,
      steps: 50,
      cfg_scale: 7,
      upscale_factor: 4,
      model: 'playground-v2.5-1024px-aesthetic',
      upscaler: 'Real-ESRGAN 4x',
      tiles: 1,
    });
  }, 300_000);

  it('shows progress per denoising step and per tile through status, /stream and SSE during a production job', async () => {
    const submitted = await gateway.request('POST', '/v2/generator/run', {
      input: { route: 'production', prompt: 'a lighthouse', width: 256, height: 192, steps: 12, upscale_factor: 2, tile_size: 64 },
    });
    const events = serverSentEvents(await openEventStream(platform, `/v2/generator/stream/${submitted.body.id}`));
    const progress: any[] = [];
    const chunks: any[] = [];
    let end: any;
    for await (const event of events) {
      if (event.event === 'progress') progress.push(event.data.output);
      if (event.event === 'chunk') chunks.push(event.data.output);
      if (event.event === 'status' && ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT'].includes(event.data.status)) {
        end = event.data;
        break;
      }
    }
    expect(end.status).toBe('COMPLETED');
    // 4 × 3 tiles of 64 input pixels; every step and tile is a chunk, in order.
    expect(chunks).toEqual([
      ...Array.from({ length: 12 }, (_, i) => ({ phase: 'denoise', done: i + 1, total: 12, percent: expect.any(Number) })),
      ...Array.from({ length: 12 }, (_, i) => ({ phase: 'upscale', done: i + 1, total: 12, percent: expect.any(Number) })),
    ]);
    expect(chunks.at(-1).percent).toBe(100);
    // Progress values are coalesced: some of them, each one of the chunks.
    expect(progress.length).toBeGreaterThan(0);
    for (const value of progress) expect(chunks).toContainEqual(value);
    const stream = await gateway.request('GET', `/v2/generator/stream/${submitted.body.id}`);
    expect(stream.body.stream.map((entry: any) => entry.output)).toEqual(chunks);
    const done = await status('generator', submitted.body.id);
    expect(done.body.output.metadata).toMatchObject({ final_width: 512, final_height: 384, tiles: 12 });
  }, 120_000);

  it('cancels mid-denoise and mid-upscale, and the worker takes the next job at once', async () => {
    const midDenoise = await gateway.request('POST', '/v2/generator/run', { input: { route: 'create', prompt: 'slow', width: 512, height: 512, steps: 150 } });
    await eventually(async () => (await status('generator', midDenoise.body.id)).body.output?.phase === 'denoise', 60_000);
    await gateway.request('POST', `/v2/generator/cancel/${midDenoise.body.id}`);
    expect((await finished('generator', midDenoise.body.id)).status).toBe('CANCELLED');

    const midUpscale = await gateway.request('POST', '/v2/generator/run', {
      input: { route: 'production', prompt: 'tiles', width: 512, height: 512, steps: 1, tile_size: 32, upscale_factor: 4 },
    });
    await eventually(async () => (await status('generator', midUpscale.body.id)).body.output?.phase === 'upscale', 60_000);
    await gateway.request('POST', `/v2/generator/cancel/${midUpscale.body.id}`);
    const cancelled = await finished('generator', midUpscale.body.id);
    expect(cancelled.status).toBe('CANCELLED');

    // The worker runs one job at a time: the next one completes only if the cancelled ones let go.
    const next = await runsync('generator', { route: 'create', prompt: 'next', width: 64, height: 64, steps: 1 });
    expect(next.body.status).toBe('COMPLETED');
    const stream = await gateway.request('GET', `/v2/generator/stream/${midUpscale.body.id}`);
    const tilesDone = stream.body.stream.filter((entry: any) => entry.output.phase === 'upscale').length;
    expect(tilesDone).toBeLessThan(256);
  }, 180_000);

  it('refuses bad generator input with a 400 naming the field, before any work', async () => {
    const base = { route: 'create', prompt: 'a cat' };
    expect(await refused({ prompt: 'a cat' })).toMatch(/input\.route.*Invalid route/);
    expect(await refused({ ...base, route: 'draft' })).toMatch(/input\.route.*Invalid route "draft"/);
    expect(await refused({ route: 'create' })).toMatch(/input\.prompt.*required/);
    expect(await refused({ ...base, prompt: '   ' })).toMatch(/input\.prompt.*empty/);
    expect(await refused({ ...base, width: 1001 })).toMatch(/input\.width.*multiple of 8/);
    expect(await refused({ ...base, width: 4096, height: 4096 })).toMatch(/input\.width.*over the limit/);
    expect(await refused({ ...base, steps: 0 })).toMatch(/input\.steps/);
    expect(await refused({ ...base, steps: 151 })).toMatch(/input\.steps.*at most 150/);
    expect(await refused({ ...base, cfg_scale: -1 })).toMatch(/input\.cfg_scale/);
    expect(await refused({ ...base, cfg_scale: 'high' })).toMatch(/input\.cfg_scale.*number/);
    expect(await refused({ ...base, seed: 1.5 })).toMatch(/input\.seed/);
    expect(await refused({ ...base, upscale_factor: 2 })).toMatch(/input\.upscale_factor.*production/);
    const production = { ...base, route: 'production' };
    expect(await refused({ ...production, upscale_factor: 1 })).toMatch(/input\.upscale_factor.*above 1/);
    expect(await refused({ ...production, upscale_factor: 9 })).toMatch(/input\.upscale_factor.*at most 8/);
    expect(await refused({ ...production, width: 2048, height: 2048, upscale_factor: 8 })).toMatch(/input\.upscale_factor.*over the limit/);
    expect(await refused({ ...production, tile_size: 8 })).toMatch(/input\.tile_size.*padding/);
    expect(await refused({ ...production, tile_size: 5000 })).toMatch(/input\.tile_size.*at most 2048/);
    expect(await refused({ ...base, sampler: 'ddim' })).toMatch(/input\.sampler.*not a field/);
  });

  it('fails an untiled upscale over the worker’s one-piece limit before generating', async () => {
    const response = await runsync('generator', { route: 'production', prompt: 'big', width: 1280, height: 1024, steps: 50, use_tiled_upscale: false });
    expect(response.body.status).toBe('FAILED');
    expect(response.body.error).toMatch(/use_tiled_upscale: 1280×1024 is over the 1048576 pixels this worker upscales in one piece/);
    // Nothing ran: the failure came before the first step.
    const stream = await gateway.request('GET', `/v2/generator/stream/${response.body.id}`);
    expect(stream.body.stream ?? []).toEqual([]);
  });

  it('upscales an image on the upscaler endpoint, to the scale asked for, as JPEG or PNG', async () => {
    const image = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3366cc' } })
      .png()
      .toBuffer();
    const four = await runsync('upscaler', { image_base64: image.toString('base64') });
    expect(four.body.output).toMatchObject({
      width: 256,
      height: 192,
      input_width: 64,
      input_height: 48,
      scale: 4,
      format: 'jpeg',
      upscaler: 'Real-ESRGAN 4x',
    });
    expect(await jpegSize(Buffer.from(four.body.output.image, 'base64'))).toEqual({ format: 'jpeg', width: 256, height: 192 });

    const fractional = await runsync('upscaler', {
      image_base64: `data:image/png;base64,${image.toString('base64')}`,
      scale: 2.5,
      tile_size: 32,
      output_format: 'png',
    });
    expect(fractional.body.output).toMatchObject({ width: 160, height: 120, tiles: 4, format: 'png' });
    expect(await jpegSize(Buffer.from(fractional.body.output.image, 'base64'))).toEqual({ format: 'png', width: 160, height: 120 });
  }, 60_000);

  it('refuses bad upscaler input: no image, two images, not an image, an output over the limit', async () => {
    expect((await runsync('upscaler', {})).body.error).toMatch(/needs an image/);
    expect((await runsync('upscaler', { image_base64: 'aGVsbG8=', image_url: 'https://example.com/a.png' })).body.error).toMatch(/not both/);
    expect((await runsync('upscaler', { image_base64: 'aGVsbG8=', scale: 1 })).body.error).toMatch(/input\.scale.*above 1/);
    const notAnImage = await runsync('upscaler', { image_base64: Buffer.from('definitely not an image').toString('base64') });
    expect(notAnImage.body.status).toBe('FAILED');
    // A 6000×6000 PNG header: 8× would be 48000² pixels; refused from its header, before decoding.
    const huge = await sharp({ create: { width: 6000, height: 6000, channels: 3, background: '#000000' } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    const oversized = await runsync('upscaler', { image_base64: huge.toString('base64'), scale: 8 });
    expect(oversized.body.status).toBe('FAILED');
    expect(oversized.body.error).toMatch(/scale.*over the limit/);
  }, 60_000);
});
