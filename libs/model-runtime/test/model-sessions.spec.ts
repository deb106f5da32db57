import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Tensor, listSupportedBackends } from 'onnxruntime-node';
import { ExecutionProviderUnavailableError, ModelLoadError, type ModelSignature, ModelSignatureMismatchError, ModelSessions } from '@switchyard/model-runtime';
import { writeEmbeddingModel, writeLinearModel } from './support/onnx-models';

const LINEAR_SIGNATURE: ModelSignature = {
  inputs: [{ name: 'x', type: 'float32', shape: ['batch', 2] }],
  outputs: [{ name: 'y', type: 'float32', shape: ['batch', 3] }],
};

let root: string;
let linearPath: string;
let embeddingPath: string;
let sessions: ModelSessions;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'model-sessions-'));
  linearPath = join(root, 'linear.onnx');
  embeddingPath = join(root, 'embedding.onnx');
  await writeLinearModel(linearPath);
  await writeEmbeddingModel(embeddingPath);
});

beforeEach(() => {
  sessions = new ModelSessions({ executionProviders: ['cpu'], intraOpNumThreads: 1, graphOptimizationLevel: 'all' });
});

afterEach(async () => {
  await sessions.release();
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('ModelSessions', () => {
  it('runs a model and returns what hand computation gives', async () => {
    const session = await sessions.load(linearPath, { name: 'test/linear' });

    const { y } = await session.run({ x: new Tensor('float32', Float32Array.from([1, 2, 3, 4]), [2, 2]) });

    // [1, 2]·W + b = [1 + 8, 2 + 10, 3 + 12] + b; [3, 4]·W + b = [3 + 16, 6 + 20, 9 + 24] + b
    expect(y.dims).toEqual([2, 3]);
    expect(Array.from(y.data as Float32Array)).toEqual([9.5, 11, 17, 19.5, 25, 35]);
    expect(session.provider).toBe('cpu');
    expect(session.name).toBe('test/linear');
  });

  it('creates one session per model file, also for concurrent loads', async () => {
    const concurrent = await Promise.all(Array.from({ length: 4 }, () => sessions.load(linearPath)));
    const later = await sessions.load(join(dirname(linearPath), '.', 'linear.onnx'));

    expect(new Set([...concurrent, later]).size).toBe(1);
    expect(await sessions.load(embeddingPath)).not.toBe(later);
  });

  it('describes inputs and outputs from the model metadata', async () => {
    const session = await sessions.load(embeddingPath);

    expect(session.inputs).toEqual([{ name: 'input_ids', isTensor: true, type: 'int64', shape: ['batch', 'sequence'] }]);
    expect(session.outputs).toEqual([{ name: 'embeddings', isTensor: true, type: 'float32', shape: ['batch', 'sequence', 4] }]);
  });

  it('warms up on zeros shaped by named dimensions and by the signature', async () => {
    const embedding = await sessions.load(embeddingPath);
    const linear = await sessions.load(linearPath);

    const { embeddings } = await embedding.warmUp({ dims: { batch: 2, sequence: 5 } });
    const { y } = await linear.warmUp({
      signature: { ...LINEAR_SIGNATURE, inputs: [{ name: 'x', type: 'float32', shape: [3, 2] }] },
    });

    // Every id is 0, so every row is the table's first row [0, 1, 2, 3]; zeros through the linear layer give b.
    expect(embeddings.dims).toEqual([2, 5, 4]);
    expect(Array.from(embeddings.data as Float32Array).slice(0, 8)).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
    expect(y.dims).toEqual([3, 3]);
    expect(Array.from(y.data as Float32Array).slice(0, 3)).toEqual([0.5, -1, 2]);
  });

  it('accepts a matching signature and names every difference of a wrong one', async () => {
    await expect(sessions.load(linearPath, { name: 'test/linear', signature: LINEAR_SIGNATURE })).resolves.toBeDefined();

    const wrong: ModelSignature = {
      inputs: [
        { name: 'x', type: 'int64', shape: ['batch', 'sequence', 2] },
        { name: 'attention_mask', type: 'int64', shape: ['batch', 'sequence'] },
      ],
      outputs: [
        { name: 'y', type: 'float32', shape: ['batch', 4] },
        { name: 'logits', type: 'float32', shape: ['batch', 2] },
      ],
    };
    const loading = sessions.load(linearPath, { signature: wrong });

    await expect(loading).rejects.toThrow(ModelSignatureMismatchError);
    await expect(loading).rejects.toThrow(
      'Model "test/linear" does not have the expected signature: ' +
        'input "x" has type float32, expected int64; ' +
        'input "x" has rank 2 [batch, 2], expected rank 3 [batch, sequence, 2]; ' +
        'input "attention_mask" is missing; ' +
        'output "y" has size 3 on axis 1, expected 4; ' +
        'output "logits" is missing',
    );
    const unexpectedInput = sessions.load(linearPath, { signature: { inputs: [], outputs: LINEAR_SIGNATURE.outputs } });
    await expect(unexpectedInput).rejects.toThrow('unexpected input "x"');
  });

  it('refuses a provider that this onnxruntime-node build does not have', () => {
    const missing = ['dml', 'coreml', 'qnn'].find((name) => !listSupportedBackends().some((backend) => backend.name === name))!;

    expect(() => new ModelSessions({ executionProviders: [missing, 'cpu'] })).toThrow(ExecutionProviderUnavailableError);
    expect(() => new ModelSessions({ executionProviders: [missing, 'cpu'] })).toThrow(
      new RegExp(`^Execution provider "${missing}" is not available: this onnxruntime-node build supports cpu`),
    );
  });

  // onnxruntime-node lists CUDA on Linux x64, but its libraries are a separate download that this
  // project skips (ONNXRUNTIME_NODE_INSTALL=skip); where they are installed this case does not apply.
  const cudaLibrary = join(dirname(require.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', 'linux', 'x64', 'libonnxruntime_providers_cuda.so');
  const cudaListedButMissing = process.platform === 'linux' && process.arch === 'x64' && !existsSync(cudaLibrary);
  (cudaListedButMissing ? it : it.skip)('reports a listed provider whose libraries are not installed when loading', async () => {
    const gpuSessions = new ModelSessions({ executionProviders: ['cuda', 'cpu'] });

    await expect(gpuSessions.load(linearPath)).rejects.toThrow(ExecutionProviderUnavailableError);
    await expect(gpuSessions.load(linearPath)).rejects.toThrow(/^Execution provider "cuda" is not available: onnxruntime could not start it/);
  });

  it('reports a file that is not a model, and tries again on the next load', async () => {
    const path = join(root, 'broken.onnx');
    await writeFile(path, 'not an onnx model');

    await expect(sessions.load(path, { name: 'test/broken' })).rejects.toThrow(ModelLoadError);
    await expect(sessions.load(path, { name: 'test/broken' })).rejects.toThrow(/^Could not load model "test\/broken": /);
    await writeLinearModel(path);
    await expect(sessions.load(path)).resolves.toMatchObject({ path });
  });
});
