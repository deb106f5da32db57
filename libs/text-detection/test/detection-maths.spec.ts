import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { aggregateWindows, machineLabelIndex, softmax, textVerdict } from '../src/detection-maths';

describe('softmax', () => {
  it('gives probabilities that sum to 1 in the ratio of the exponentials', () => {
    const [a, b] = softmax([1, 3]);
    expect(a + b).toBeCloseTo(1, 15);
    expect(b / a).toBeCloseTo(Math.exp(2), 12);
  });

  it('does not overflow on large logits', () => {
    expect(softmax([1000, 1000])).toEqual([0.5, 0.5]);
    expect(softmax([-1000, 0])[1]).toBe(1);
  });
});

describe('aggregateWindows', () => {
  it('weights each window by its text tokens', () => {
    const probabilities = aggregateWindows([
      { probabilities: [0.9, 0.1], textTokens: 300 },
      { probabilities: [0.3, 0.7], textTokens: 100 },
    ]);
    expect(probabilities[0]).toBeCloseTo(0.75, 15);
    expect(probabilities[1]).toBeCloseTo(0.25, 15);
  });

  it('counts an empty window as one token, and one window as its own answer', () => {
    expect(aggregateWindows([{ probabilities: [0.2, 0.8], textTokens: 0 }])).toEqual([0.2, 0.8]);
    expect(() => aggregateWindows([])).toThrow(RangeError);
  });
});

describe('textVerdict', () => {
  it("gives the seed's fields: machine-written at or over the threshold, confidence |p − 0.5|·2", () => {
    expect(textVerdict(0.8)).toEqual({ prediction: 1, probability: 0.8, confidence: expect.closeTo(0.6, 12), is_fake: true });
    expect(textVerdict(0.5)).toMatchObject({ prediction: 1, is_fake: true, confidence: 0 });
    expect(textVerdict(0.6, 0.7)).toMatchObject({ prediction: 0, is_fake: false });
  });
});

describe('machineLabelIndex', () => {
  it('finds the label without case, whatever the label order', () => {
    expect(machineLabelIndex({ 0: 'Fake', 1: 'Real' }, 'Fake')).toBe(0);
    expect(machineLabelIndex({ 0: 'Human', 1: 'ChatGPT' }, 'chatgpt')).toBe(1);
    expect(machineLabelIndex({ 0: 'human', 1: 'AI' }, 'AI')).toBe(1);
  });

  it('names the labels when the model has no such label', () => {
    expect(() => machineLabelIndex({ 0: 'Fake', 1: 'Real' }, 'AI')).toThrow('the model has no label "AI"; its labels are Fake, Real');
  });
});

describe('the modules a browser client shares', () => {
  it.each(['text-windows.ts', 'detection-maths.ts'])('%s imports nothing, so it bundles without Node', (file) => {
    const source = readFileSync(join(__dirname, '..', 'src', file), 'utf8');
    expect(source).not.toMatch(/^\s*(import|export .* from)\s/m);
    expect(source).not.toMatch(/require\(/);
  });
});
