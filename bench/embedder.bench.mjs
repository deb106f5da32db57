// Issue 4's benchmark: embeddings through the whole path (HTTP → gateway → queue → embedder
// process → result, `/v2/embedder/runsync`) at 1, 16 and 64 concurrent clients, one text or one
// image a request (and, once, 16 texts a request), on the full-size replicas of all-MiniLM-L6-v2
// and CLIP ViT-B/32. In the same run, on the same inputs and the same machine, the bare model:
// `session.run` of batches the size the embedder formed (texts sorted by length, so padding is
// least: the best any batching could do), one item a run without batching, and a team's own
// in-process server (tokenizer, `session.run` and pooling per text, no HTTP, no batching) driven
// by as many concurrent callers. Prints items/s, p50/p99 latency of a request, the handler's own
// time (the job's executionTime), the ratios, and the CPU each process spent per item. The bare
// model is measured once the platform is quiet again.
//
//   npm run bench -- embedder       (builds, generates the full tier, runs this file)
//   node bench/embedder.bench.mjs   (after a build and `generate --tier full`)
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import embeddings from '@switchyard/embeddings';
import runtime from '@switchyard/model-runtime';
import { cpuMeter, cpuPerJobLine, fmt, load, percentile, postJson, seededRandom, startModelPlatform, untilQuiet } from './support/harness.mjs';

// CommonJS packages whose exports Node cannot name statically.
const { SentenceEncoder, loadClipEncoders } = embeddings;
const { ModelSessions, ModelStore } = runtime;

const root = join(import.meta.dirname, '..');
const MODEL_DIR = join(root, 'models', 'full');
const MODELS = { miniLm: { repo: 'sentence-transformers/all-MiniLM-L6-v2' }, clip: { repo: 'openai/clip-vit-base-patch32' } };
const GRAPHS = { text: `${MODELS.miniLm.repo}/onnx/model.onnx`, image: `${MODELS.clip.repo}/onnx/vision_model.onnx` };
const WORKER_CONCURRENCY = 128;
const RUNS = {
  text: [
    { clients: 1, perRequest: 1, total: 200, warmup: 20 },
    { clients: 16, perRequest: 1, total: 1200, warmup: 100 },
    { clients: 64, perRequest: 1, total: 2400, warmup: 200 },
    // Indexing clients send lists: the cost of a request is shared by its texts.
    { clients: 64, perRequest: 16, total: 256, warmup: 32 },
  ],
  image: [
    { clients: 1, perRequest: 1, total: 60, warmup: 5 },
    { clients: 16, perRequest: 1, total: 200, warmup: 32 },
    { clients: 64, perRequest: 1, total: 320, warmup: 64 },
  ],
};
const RAW_SECONDS = 3;

// What a search index embeds: queries, titles, product and support texts, short paragraphs.
const SENTENCES = [
  'waterproof hiking boots for women',
  'How do I change the billing address on my account?',
  'Stainless steel espresso machine with a built-in grinder and a steam wand for milk.',
  'The library opens at nine on weekdays and at ten on Saturdays.',
  'cheap hotels near the old town',
  'Our refund policy allows returns within thirty days of delivery, provided the item is unused and in its original packaging.',
  'Solar panels convert sunlight into electricity using layers of silicon cells.',
  'Lightweight rain jacket with taped seams, a packable hood and two zipped pockets.',
  'Why does my laptop battery drain so fast?',
  'The conference brings together researchers working on retrieval, ranking and recommendation systems.',
  'vegan chocolate cake recipe',
  'After the merger, the company moved its headquarters to a renovated warehouse by the river.',
  'Replace the filter every three months to keep the air purifier working at full capacity.',
  'Ergonomic office chair with adjustable lumbar support',
  'The museum’s new wing displays contemporary photography from across South America.',
  'Error 502 when uploading files larger than 100 MB',
];

/** Texts of one to three sentences. */
function makeTexts(count) {
  const random = seededRandom(4);
  const parts = [1, 1, 1, 2, 2, 3];
  return Array.from({ length: count }, () =>
    Array.from({ length: parts[Math.floor(random() * parts.length)] }, () => SENTENCES[Math.floor(random() * SENTENCES.length)]).join(' '),
  );
}

/** Photos as clients send them: 640×480 JPEGs with detail (noise), so decoding costs what it costs. */
async function makeImages(count) {
  const random = seededRandom(7);
  return Promise.all(
    Array.from({ length: count }, async () => {
      const raw = Buffer.alloc(640 * 480 * 3);
      for (let i = 0; i < raw.length; i++) raw[i] = (i % 3 === 0 ? 120 : 60) + Math.floor(random() * 100);
      return sharp(raw, { raw: { width: 640, height: 480, channels: 3 } })
        .jpeg({ quality: 85 })
        .toBuffer();
    }),
  );
}

/** The gateway and the embedder, each in its own process, with the embedder's batching counters for one graph. */
async function startPlatform() {
  const platform = await startModelPlatform({ app: 'embedder', modelDir: MODEL_DIR, workerEnv: { WORKER_CONCURRENCY: String(WORKER_CONCURRENCY) } });
  return { ...platform, batching: async (graph) => (await platform.health()).batching[graph] };
}

function runsyncClient(platform) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  const url = new URL('/v2/embedder/runsync', platform.baseUrl);
  return async (input) => {
    const body = JSON.parse(await postJson(agent, url, platform.apiKey, JSON.stringify({ input })));
    if (body.status !== 'COMPLETED') throw new Error(`Job ended ${body.status}: ${body.error ?? JSON.stringify(body)}`);
    return body;
  };
}

/** Items/s of `run(batch)` over `items` cut into batches of `size`, repeated for about RAW_SECONDS. */
async function rawRate(items, size, run) {
  await run(items.slice(0, size));
  let done = 0;
  const started = performance.now();
  while (performance.now() - started < RAW_SECONDS * 1000) {
    for (let start = 0; start + size <= items.length && performance.now() - started < RAW_SECONDS * 1000; start += size) {
      await run(items.slice(start, start + size));
      done += size;
    }
  }
  return done / ((performance.now() - started) / 1000);
}

/** One configuration through the whole path, with the mean batch the embedder formed meanwhile. */
async function throughPipeline(platform, graph, run, inputOf) {
  const call = runsyncClient(platform);
  await load((index) => call(inputOf(index)), { clients: run.clients, total: run.warmup });
  const before = await platform.batching(graph);
  const handlerMs = [];
  const meter = cpuMeter(platform.pids);
  const result = await load(async (index) => handlerMs.push((await call(inputOf(index))).executionTime), run);
  const cpu = meter.take();
  const after = await platform.batching(graph);
  return {
    cpu,
    perSecond: result.perSecond * run.perRequest,
    p50: percentile(result.latencies, 50),
    p99: percentile(result.latencies, 99),
    handlerP50: percentile(handlerMs, 50),
    meanBatch: (after.itemsRun - before.itemsRun) / (after.batchesRun - before.batchesRun),
  };
}

/** Texts/s of a team's own in-process server: each of `clients` concurrent callers tokenizes, runs and pools one text at a time. */
async function inProcessUnbatched(encoder, texts, clients) {
  const call = (index) => encoder.embedBatch([encoder.tokenizer.encode(texts[index % texts.length])]);
  await load(call, { clients, total: 64 });
  return (await load(call, { clients, total: 1200 })).perSecond;
}

function report(kind, run, pipeline, raw, unbatched) {
  const items = run.total * run.perRequest;
  console.log(
    `${kind.padEnd(5)} clients=${String(run.clients).padStart(2)} ×${String(run.perRequest).padEnd(2)}  ${fmt(pipeline.perSecond, 1).padStart(6)} ${kind}s/s  ` +
      `p50 ${fmt(pipeline.p50, 1).padStart(6)} ms  p99 ${fmt(pipeline.p99, 1).padStart(6)} ms  handler p50 ${fmt(pipeline.handlerP50, 1).padStart(5)} ms  ` +
      `mean batch ${fmt(pipeline.meanBatch, 1).padStart(4)}  | ` +
      `raw session.run (batches of ${Math.round(pipeline.meanBatch)}) ${fmt(raw, 1).padStart(6)}/s → ${fmt(pipeline.perSecond / raw)}×  | ` +
      `one ${kind} a run ${fmt(unbatched, 1).padStart(6)}/s → ${fmt(pipeline.perSecond / unbatched)}×`,
  );
  // The worker's share holds the model's own runs.
  console.log(`      ${cpuPerJobLine(pipeline.cpu, items).replace('job', kind)}`);
}

async function main() {
  const texts = makeTexts(512);
  const images = await makeImages(16);
  const base64Images = images.map((image) => image.toString('base64'));

  // The bare models, loaded here as the embedder loads them.
  const modelCache = await mkdtemp(join(tmpdir(), 'sy-bench-raw-'));
  const store = new ModelStore({ cacheDir: modelCache, modelDir: MODEL_DIR, offline: true });
  // onnxruntime's own defaults (its threads spin), as a team's own server would have them: the faster for lone runs.
  const sessions = new ModelSessions({ executionProviders: ['cpu'], threadSpinning: true });
  const miniLm = await SentenceEncoder.load(store, sessions, MODELS.miniLm);
  const clip = await loadClipEncoders(store, sessions, MODELS.clip, { maxPixels: 40_000_000 });
  const tokenized = texts.map((text) => miniLm.tokenizer.encode(text));
  const byLength = [...tokenized].sort((a, b) => a.ids.length - b.ids.length);
  const lengths = tokenized.map((item) => item.ids.length);
  const pixels = await Promise.all(images.map((image) => clip.vision.preprocessor.preprocess(image)));
  const runText = (batch) => miniLm.session.run(miniLm.feeds(batch));
  const runImages = (batch) => clip.vision.session.run(clip.vision.feeds(batch));

  console.log(
    `embedder on cpu, full-size replicas; ${texts.length} texts of ${Math.min(...lengths)}–${Math.max(...lengths)} tokens ` +
      `(mean ${fmt(lengths.reduce((sum, length) => sum + length, 0) / lengths.length, 1)}), ${images.length} JPEGs of 640×480; ` +
      `POST /v2/embedder/runsync with ×N items a request; worker concurrency ${WORKER_CONCURRENCY}`,
  );
  const platform = await startPlatform();
  try {
    await untilQuiet(platform.pids);
    const unbatchedText = await rawRate(tokenized, 1, runText);
    const inProcess = await inProcessUnbatched(miniLm, texts, 64);
    for (const run of RUNS.text) {
      const inputOf = (index) =>
        run.perRequest === 1
          ? { text: texts[index % texts.length] }
          : { texts: Array.from({ length: run.perRequest }, (_, offset) => texts[(index * run.perRequest + offset) % texts.length]) };
      const pipeline = await throughPipeline(platform, GRAPHS.text, run, inputOf);
      await untilQuiet(platform.pids);
      const size = Math.max(1, Math.round(pipeline.meanBatch));
      report('text', run, pipeline, await rawRate(byLength, size, runText), unbatchedText);
      if (run.perRequest !== 1) continue;
      if (run.clients === 1)
        console.log(
          `      p50 ${fmt(pipeline.p50, 1)} ms vs the handler's ${fmt(pipeline.handlerP50, 1)} ms + 2 ms: ${pipeline.p50 <= pipeline.handlerP50 + 2 ? 'met' : 'not met'}`,
        );
      if (run.clients === 64) {
        console.log(
          `      in-process server, no batching, 64 concurrent callers: ${fmt(inProcess, 1)} texts/s → platform ${fmt(pipeline.perSecond / inProcess)}× (target ≥ 1.5×)`,
        );
      }
    }
    const unbatchedImages = await rawRate(pixels, 1, runImages);
    for (const run of RUNS.image) {
      const pipeline = await throughPipeline(platform, GRAPHS.image, run, (index) => ({ image_base64: base64Images[index % images.length] }));
      await untilQuiet(platform.pids);
      const size = Math.max(1, Math.round(pipeline.meanBatch));
      const batches = Array.from({ length: Math.max(size, pixels.length) }, (_, index) => pixels[index % pixels.length]);
      report('image', run, pipeline, await rawRate(batches, size, runImages), unbatchedImages);
    }
  } finally {
    await platform.stop();
    await sessions.release();
    store.close();
    await rm(modelCache, { recursive: true, force: true });
  }
}

await main();
