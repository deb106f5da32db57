/**
 * From a classifier's logits to the answer: softmax per window, the windows' probabilities
 * averaged, and the seed's fields. Plain float64 arithmetic, shared by the worker and the browser client.
 */

/** Softmax in float64, shifted by the largest logit so large logits cannot overflow. */
export function softmax(logits: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const exps = Array.from({ length: logits.length }, (_, i) => Math.exp(logits[i] - max));
  const sum = exps.reduce((total, value) => total + value, 0);
  return exps.map((value) => value / sum);
}

/** One window's class probabilities and its weight: the number of the text's tokens it holds (at least 1). */
export interface WindowProbabilities {
  readonly probabilities: readonly number[];
  readonly textTokens: number;
}

/**
 * A text's class probabilities from its windows': their mean, each window weighted by the text
 * tokens it holds, so a short last window counts for what it reads. One window is its own answer.
 */
export function aggregateWindows(windows: readonly WindowProbabilities[]): number[] {
  if (windows.length === 0) throw new RangeError('a text has at least one window');
  const classes = windows[0].probabilities.length;
  const weights = windows.map((window) => Math.max(window.textTokens, 1));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  return Array.from({ length: classes }, (_, label) => windows.reduce((sum, window, i) => sum + window.probabilities[label] * weights[i], 0) / total);
}

/** The seed's answer fields for one text. */
export interface TextVerdict {
  /** 1 when machine-written (probability at or over the threshold), else 0. */
  prediction: 0 | 1;
  /** Probability that the text is machine-written. */
  probability: number;
  /** |probability − 0.5| · 2: 0 on the fence, 1 certain. */
  confidence: number;
  is_fake: boolean;
}

export function textVerdict(machineProbability: number, threshold = 0.5): TextVerdict {
  const isFake = machineProbability >= threshold;
  return { prediction: isFake ? 1 : 0, probability: machineProbability, confidence: Math.abs(machineProbability - 0.5) * 2, is_fake: isFake };
}

/**
 * The index of the label that means machine-written, from the model's `config.json` `id2label`
 * and the registry's name for that label (compared without case): label orders differ between models.
 * @throws RangeError naming the labels when the model has no such label.
 */
export function machineLabelIndex(id2label: Readonly<Record<string, string>>, machineLabel: string): number {
  const wanted = machineLabel.toLowerCase();
  const entry = Object.entries(id2label).find(([, label]) => label.toLowerCase() === wanted);
  if (!entry) throw new RangeError(`the model has no label "${machineLabel}"; its labels are ${Object.values(id2label).join(', ')}`);
  return Number(entry[0]);
}
