import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Tensor } from 'onnxruntime-node';
import { generateModels, GENERATED_MODELS } from '@switchyard/model-zoo';
import {
  ExecutionProviderUnavailableError,
  InferencePoolClosedError,
  InferenceRunCutOffError,
  ModelLoadError,
  ModelSessions,
  type ModelSession,
} from '@switchyard/model-runtime';
import { writeEmbeddingModel, writeLinearModel } from './support/onnx-models';

let root: string;
let linearPath: string;
let embeddingPath: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'inference-pool-'));
  linearPath = join(root, 'linear.onnx');
  embeddingPath = join(root, 'embedding.onnx');
  await writeLinearModel(linearPath);
  await writeEmbeddingModel(embeddingPath);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('ModelSessions in inference threads', () => {
  let sessions: ModelSessions;

  beforeEach(() => {
    sessions = new ModelSessions({ executionProviders: ['cpu'], intraOpNumThreads: 1, inferenceThreads: 2 });
  });

  afterEach(async () => {
    await sessions.release();
  });

  it('runs a model in a thread and returns what hand computation gives, leaving the caller’s feeds intact', async () => {
    const session = await sessions.load(linearPath, { name: 'test/linear' });
    const input = Float32Array.from([1, 2, 3, 4]);

    const { y } = await session.run({ x: new Tensor('float32', input, [2, 2]) });

    expect(y.dims).toEqual([2, 3]);
    expect(Array.from(y.data as Float32Array)).toEqual([9.5, 11, 17, 19.5, 25, 35]);
    expect(Array.from(input)).toEqual([1, 2, 3, 4]);
    expect(sessions.inferenceThreads).toBe(2);
  });

  it('sends only the elements of a feed that views part of a larger buffer, and int64 tensors alike', async () => {
    const session = await sessions.load(embeddingPath);
    const buffer = BigInt64Array.from([9n, 9n, 3n, 1n, 9n]);

    const { embeddings } = await session.run({ input_ids: new Tensor('int64', buffer.subarray(2, 4), [1, 2]) });

    // Rows 3 and 1 of the table whose row i is [4i, 4i + 1, 4i + 2, 4i + 3].
    expect(embeddings.dims).toEqual([1, 2, 4]);
    expect(Array.from(embeddings.data as Float32Array)).toEqual([12, 13, 14, 15, 4, 5, 6, 7]);
  });

  it('gives the same outputs as a session on the calling thread, for concurrent runs spread over the threads', async () => {
    const inline = new ModelSessions({ executionProviders: ['cpu'], intraOpNumThreads: 1 });
    try {
      const [threaded, local] = await Promise.all([sessions.load(linearPath), inline.load(linearPath)]);
      const feeds = Array.from({ length: 8 }, (_, run) => ({ x: new Tensor('float32', Float32Array.from([run, -run, run / 2, 1]), [2, 2]) }));

      const fromThreads = await Promise.all(feeds.map((feed) => threaded.run(feed)));
      const fromHere = await Promise.all(feeds.map((feed) => local.run(feed)));

      fromThreads.forEach(({ y }, run) => expect(Array.from(y.data as Float32Array)).toEqual(Array.from(fromHere[run].y.data as Float32Array)));
    } finally {
      await inline.release();
    }
  });

  it('describes inputs and outputs and checks signatures on this thread', async () => {
    const session = await sessions.load(embeddingPath);

    expect(session.inputs).toEqual([{ name: 'input_ids', isTensor: true, type: 'int64', shape: ['batch', 'sequence'] }]);
    expect(() =>
      session.checkSignature({
        inputs: [{ name: 'input_ids', type: 'int64', shape: ['batch', 'sequence'] }],
        outputs: [{ name: 'embeddings', type: 'float32', shape: ['batch', 'sequence', 5] }],
      }),
    ).toThrow('output "embeddings" has size 4 on axis 2, expected 5');
  });

  it('reports the provider that ran the model’s nodes, as onnxruntime’s profile of the first run records it', async () => {
    const session = await sessions.load(linearPath);
    expect(session.providerUsage).toBeUndefined();

    await session.warmUp();

    expect(session.provider).toBe('cpu');
    expect(session.providerUsage).toEqual({ provider: 'cpu', nodes: { cpu: expect.any(Number) } });
  });

  it('reports a file that is not a model when loading, and tries again on the next load', async () => {
    const path = join(root, 'broken-threaded.onnx');
    await writeFile(path, 'not an onnx model');

    await expect(sessions.load(path, { name: 'test/broken' })).rejects.toThrow(ModelLoadError);
    await expect(sessions.load(path, { name: 'test/broken' })).rejects.toThrow(/^Could not load model "test\/broken": /);
    await writeLinearModel(path);
    await expect(sessions.load(path)).resolves.toMatchObject({ path });
  });

  // As in model-sessions.spec.ts: where the CUDA libraries are installed this case does not apply.
  const cudaLibrary = join(dirname(require.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', 'linux', 'x64', 'libonnxruntime_providers_cuda.so');
  const cudaListedButMissing = process.platform === 'linux' && process.arch === 'x64' && !existsSync(cudaLibrary);
  (cudaListedButMissing ? it : it.skip)('reports a provider whose libraries are missing as unavailable, not as a bad model', async () => {
    const gpuSessions = new ModelSessions({ executionProviders: ['cuda', 'cpu'], cuda: { deviceId: 0 }, inferenceThreads: 1 });
    try {
      await expect(gpuSessions.load(linearPath)).rejects.toThrow(ExecutionProviderUnavailableError);
    } finally {
      await gpuSessions.release();
    }
  });

  it('ends its threads on release: a run still in flight fails, and a later load starts new ones', async () => {
    const session = await sessions.load(linearPath);
    const running = session.run({ x: new Tensor('float32', new Float32Array(2), [1, 2]) });

    await sessions.release();

    await expect(running).rejects.toThrow(InferencePoolClosedError);
    await expect(session.run({ x: new Tensor('float32', new Float32Array(2), [1, 2]) })).rejects.toThrow(InferencePoolClosedError);
    const reloaded = await sessions.load(linearPath);
    await expect(reloaded.run({ x: new Tensor('float32', Float32Array.from([1, 0]), [1, 2]) })).resolves.toMatchObject({ y: { dims: [1, 3] } });
  });
});

describe('the event loop while a full-size Real-ESRGAN runs', () => {
  const SIZE = 48;
  let folder: string;
  let modelPath: string;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'inference-pool-esrgan-'));
    await generateModels({ outDir: folder, tiers: ['full'], models: ['realEsrgan'] });
    modelPath = join(folder, 'full', ...GENERATED_MODELS.realEsrgan.repoId.split('/'), 'onnx', 'RealESRGAN_x4plus.onnx');
  }, 120_000);

  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  /** The event loop's delay (ms) while the session upscales one SIZE×SIZE image, and how long that took. */
  async function lagDuringRun(session: ModelSession) {
    const feeds = { input: new Tensor('float32', new Float32Array(3 * SIZE * SIZE).fill(0.5), [1, 3, SIZE, SIZE]) };
    await session.run(feeds);
    const histogram = monitorEventLoopDelay({ resolution: 5 });
    // Something that runs on the loop meanwhile, as lock renewals and health checks do.
    const ticker = setInterval(() => undefined, 5);
    histogram.enable();
    // The histogram measures from its first sample on.
    await new Promise((resolve) => setTimeout(resolve, 30));
    const started = performance.now();
    const { output } = await session.run(feeds);
    const runMs = performance.now() - started;
    // The histogram records a stall when its timer finally fires, after the run.
    await new Promise((resolve) => setTimeout(resolve, 20));
    histogram.disable();
    clearInterval(ticker);
    expect(output.dims).toEqual([1, 3, SIZE * 4, SIZE * 4]);
    return { runMs, p99: histogram.percentile(99) / 1e6, max: histogram.max / 1e6 };
  }

  it('stalls for the whole run on the calling thread, and stays responsive when the run is in a thread', async () => {
    const inline = new ModelSessions({ executionProviders: ['cpu'], intraOpNumThreads: 1 });
    const threaded = new ModelSessions({ executionProviders: ['cpu'], intraOpNumThreads: 1, inferenceThreads: 1 });
    try {
      const onLoop = await lagDuringRun(await inline.load(modelPath));
      const inThread = await lagDuringRun(await threaded.load(modelPath));

      // Generous bounds for two shared cores: the run takes hundreds of milliseconds either way.
      expect(onLoop.runMs).toBeGreaterThan(200);
      expect(onLoop.max).toBeGreaterThan(onLoop.runMs * 0.8);
      expect(inThread.runMs).toBeGreaterThan(200);
      expect(inThread.p99).toBeLessThan(100);
      expect(inThread.max).toBeLessThan(onLoop.max / 2);
    } finally {
      await Promise.all([inline.release(), threaded.release()]);
    }
  }, 120_000);

  it('cuts a run off mid-way through its signal, replacing the thread, which then runs the model again', async () => {
    const sessions = new ModelSessions({ executionProviders: ['cpu'], intraOpNumThreads: 1, inferenceThreads: 1 });
    try {
      const session = await sessions.load(modelPath);
      const size = SIZE;
      const feeds = () => ({ input: new Tensor('float32', new Float32Array(3 * size * size).fill(0.5), [1, 3, size, size]) });
      const whole = performance.now();
      await session.run(feeds());
      const wholeMs = performance.now() - whole;

      const cutOff = new AbortController();
      const started = performance.now();
      const run = session.run(feeds(), undefined, { cutOff: cutOff.signal });
      setTimeout(() => cutOff.abort(), 50);
      await expect(run).rejects.toThrow(InferenceRunCutOffError);
      expect(performance.now() - started).toBeLessThan(wholeMs / 2);

      const { output } = await session.run(feeds());
      expect(output.dims).toEqual([1, 3, size * 4, size * 4]);
      await expect(session.run(feeds(), undefined, { cutOff: AbortSignal.abort() })).rejects.toThrow(InferenceRunCutOffError);
    } finally {
      await sessions.release();
    }
  }, 120_000);
});
