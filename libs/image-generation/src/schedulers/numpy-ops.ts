// numpy's own arithmetic, reproduced so that timesteps land on the same integers as diffusers'.

/** `np.round`: half to even. */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

/** `np.linspace(start, stop, num)`: start + i·step, the last value exactly `stop`. */
export function linspace(start: number, stop: number, num: number): number[] {
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  const values = Array.from({ length: num }, (_, i) => i * step + start);
  values[num - 1] = stop;
  return values;
}

/** `np.arange(start, stop, step)` for floats: ceil((stop − start)/step) values start + i·(first difference). */
export function arange(start: number, stop: number, step: number): number[] {
  const length = Math.max(0, Math.ceil((stop - start) / step));
  const delta = start + step - start;
  return Array.from({ length }, (_, i) => (i === 0 ? start : start + i * delta));
}

/** `np.interp(x, arange(len(values)), values)`, clamped at both ends. */
export function interpolateAtIndex(values: ArrayLike<number>, x: number): number {
  const last = values.length - 1;
  if (x <= 0) return values[0];
  if (x >= last) return values[last];
  const low = Math.floor(x);
  if (low === x) return values[low];
  return (values[low + 1] - values[low]) * (x - low) + values[low];
}
