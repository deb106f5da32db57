import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import { inferenceSessionOptions } from '@switchyard/model-runtime';
import { writeLinearModel } from './support/onnx-models';

describe('inferenceSessionOptions', () => {
  it("keeps onnxruntime's threads from spinning between runs unless asked to", () => {
    expect(inferenceSessionOptions({ executionProviders: ['cpu'] }).extra).toEqual({
      'session.intra_op.allow_spinning': '0',
      'session.inter_op.allow_spinning': '0',
    });
    expect(inferenceSessionOptions({ executionProviders: ['cpu'], threadSpinning: true }).extra).toEqual({
      'session.intra_op.allow_spinning': '1',
      'session.inter_op.allow_spinning': '1',
    });
  });

  it('gives options onnxruntime-node accepts for a real session', async () => {
    const root = await mkdtemp(join(tmpdir(), 'session-options-'));
    try {
      const path = join(root, 'linear.onnx');
      await writeLinearModel(path);
      const session = await InferenceSession.create(path, inferenceSessionOptions({ executionProviders: ['cpu'], intraOpNumThreads: 2, interOpNumThreads: 2 }));
      expect(session.inputNames).toEqual(['x']);
      await session.release();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
