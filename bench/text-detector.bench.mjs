// Issue 11's text-detection benchmark: texts/s and p50/p99 latency through the seed's API
// (`POST /text-detector/predict` → router → text-detector queue → detector worker process → answer)
// at 1, 16 and 64 clients, on the full-size roberta-base replica. The raw baseline in the same run:
// this process tokenizes each text with the same tokenizer.json and calls `session.run` once per
// text on the same graph, from as many concurrent callers.
//
//   npm run bench -- text-detector      (builds, generates the full tier, runs this file)
//   node bench/text-detector.bench.mjs  (after a build and `generate --tier full --model textDetector`)
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Tokenizer } from '@huggingface/tokenizers';
import { fmt, load, percentile, postJson, seededRandom, startModelPlatform, summarize } from './support/harness.mjs';

const root = join(import.meta.dirname, '..');
const MODEL_DIR = join(root, 'models', 'full');
const MODEL = join(MODEL_DIR, 'onnx-community/roberta-base-openai-detector-ONNX');
const RUNS = [
  { clients: 1, total: 24 },
  { clients: 16, total: 96 },
  { clients: 64, total: 192 },
];

const WORDS = 'the model writes a short review of the product and the service was quick while people noted that quality matters most'.split(' ');
/** Texts of 40–80 words, as a review or a comment: one window each. */
function texts(count) {
  const random = seededRandom(11);
  return Array.from({ length: count }, () =>
    Array.from({ length: 40 + Math.floor(random() * 40) }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' '),
  );
}

async function rawBaseline(samples) {
  const session = await ort.InferenceSession.create(join(MODEL, 'onnx/model.onnx'));
  const tokenizer = new Tokenizer(
    JSON.parse(readFileSync(join(MODEL, 'tokenizer.json'), 'utf8')),
    JSON.parse(readFileSync(join(MODEL, 'tokenizer_config.json'), 'utf8')),
  );
  const run = async (index) => {
    const ids = tokenizer.encode(samples[index % samples.length]).ids;
    const shape = [1, ids.length];
    const output = await session.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), shape),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(ids.length).fill(1n), shape),
    });
    if (output.logits.data.length !== 2) throw new Error('unexpected logits');
  };
  await run(0);
  const results = [];
  for (const spec of RUNS) results.push(summarize(await load(run, spec)));
  await session.release();
  return results;
}

async function platformPath(samples) {
  const platform = await startModelPlatform({ app: 'detector-worker', modelDir: MODEL_DIR, workerEnv: { WORKER_QUEUES: 'text-detector' } });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  const url = `${platform.baseUrl}/text-detector/predict`;
  const backends = new Map();
  const windows = [];
  const call = async (index) => {
    const answer = JSON.parse(await postJson(agent, url, platform.apiKey, JSON.stringify({ text: samples[index % samples.length] })));
    if (typeof answer.probability !== 'number') throw new Error(`no prediction: ${JSON.stringify(answer)}`);
    backends.set(answer.backend, (backends.get(answer.backend) ?? 0) + 1);
    windows.push(answer.metadata.windows);
  };
  await call(0);
  const results = [];
  for (const spec of RUNS) results.push(summarize(await load(call, spec)));
  const health = await platform.health();
  agent.destroy();
  await platform.stop();
  return { results, backends, windows, executionProvider: health.textDetector?.models?.[0]?.executionProvider ?? health.textDetector?.executionProvider };
}

const samples = texts(64);
const raw = await rawBaseline(samples);
const ours = await platformPath(samples);
console.log(
  `text detection, full-size roberta-base replica, texts of 40–80 words (one window each): /text-detector/predict vs raw session.run per text in this process`,
);
RUNS.forEach((run, i) => {
  const [r, o] = [raw[i], ours.results[i]];
  console.log(
    `clients=${String(run.clients).padStart(2)}  ` +
      `raw: ${fmt(r.perSecond, 1)} texts/s p50 ${fmt(r.p50, 1)} ms p99 ${fmt(r.p99, 1)} ms | ` +
      `platform: ${fmt(o.perSecond, 1)} texts/s p50 ${fmt(o.p50, 1)} ms p99 ${fmt(o.p99, 1)} ms | ` +
      `throughput ratio ${fmt(o.perSecond / r.perSecond)}x  p50 ratio ${fmt(o.p50 / r.p50)}x`,
  );
});
console.log(`answers by backend: ${JSON.stringify(Object.fromEntries(ours.backends))}; windows per text p50 ${percentile(ours.windows, 50)}`);
