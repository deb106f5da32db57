import type { InferenceSession } from 'onnxruntime-node';
import { describeValues, positionalSignatureMismatches, type PositionalSignature } from '../src';

const tensor = (name: string, type: 'float32' | 'int64', shape: (number | string)[]): InferenceSession.ValueMetadata => ({ name, isTensor: true, type, shape });

const expected: PositionalSignature = {
  inputs: [{ type: 'float32', shape: ['batch', 3, 224, 224] }],
  outputs: [{ type: 'float32', shape: ['batch', 1096] }],
};

describe('positionalSignatureMismatches', () => {
  it('matches by position whatever the names, leaving dynamic and named dimensions alone', () => {
    const model = { inputMetadata: [tensor('input.1', 'float32', ['batch_size', 3, 224, 224])], outputMetadata: [tensor('1543', 'float32', [1, 1096])] };
    expect(positionalSignatureMismatches(model, expected)).toEqual([]);
    // An output past the expected ones is merely not fetched.
    expect(positionalSignatureMismatches({ ...model, outputMetadata: [...model.outputMetadata, tensor('extra', 'int64', [])] }, expected)).toEqual([]);
  });

  it('reports type, rank and fixed sizes by position, and a wrong number of inputs', () => {
    const model = { inputMetadata: [tensor('x', 'int64', ['b', 3, 112, 224])], outputMetadata: [tensor('y', 'float32', ['b'])] };
    expect(positionalSignatureMismatches(model, expected)).toEqual([
      'input 0 ("x") has type int64, expected float32',
      'input 0 ("x") has size 112 on axis 2, expected 224',
      'output 0 ("y") has rank 1 [b], expected rank 2 [batch, 1096]',
    ]);
    const three = { ...model, inputMetadata: [tensor('a', 'int64', ['b', 's']), tensor('c', 'int64', ['b', 's']), tensor('d', 'int64', ['b', 's'])] };
    expect(positionalSignatureMismatches(three, expected)[0]).toBe(`the graph has 3 inputs (${describeValues(three.inputMetadata)}), expected 1`);
    expect(describeValues(three.inputMetadata)).toBe('"a" int64 [b, s], "c" int64 [b, s], "d" int64 [b, s]');
  });
});
