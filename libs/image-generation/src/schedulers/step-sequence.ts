/** Checks a scheduler's step indices: in range, and for `step`, taken in order. */
export class StepSequence {
  private next = 0;

  constructor(readonly steps: number) {}

  checkIndex(stepIndex: number): void {
    if (!Number.isInteger(stepIndex) || stepIndex < 0 || stepIndex >= this.steps)
      throw new RangeError(`step index ${stepIndex} is outside 0..${this.steps - 1}`);
  }

  /** Marks `stepIndex` as taken; it must be the next one. */
  take(stepIndex: number, modelOutput: Float32Array, sample: Float32Array): void {
    this.checkIndex(stepIndex);
    if (stepIndex !== this.next) throw new RangeError(`step ${stepIndex} taken out of order; the next step is ${this.next}`);
    if (modelOutput.length !== sample.length) throw new RangeError(`model output has ${modelOutput.length} values, the sample ${sample.length}`);
    this.next++;
  }
}

export function checkStepCount(steps: number, numTrainTimesteps: number): void {
  if (!Number.isInteger(steps) || steps < 1 || steps > numTrainTimesteps)
    throw new RangeError(`steps must be an integer in 1..${numTrainTimesteps} (num_train_timesteps), got ${steps}`);
}
