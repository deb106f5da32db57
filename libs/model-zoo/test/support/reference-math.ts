/**
 * Plain TypeScript (float64) building blocks for independent implementations of the generated
 * models. Matrices are row-major; a [rows, cols] matrix is a flat array of rows·cols values.
 */

export type Matrix = Float64Array;

/** a [rows, inner] · b [inner, cols] (+ bias [cols]). */
export function matmul(a: ArrayLike<number>, rows: number, inner: number, b: ArrayLike<number>, cols: number, bias?: ArrayLike<number>): Matrix {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      let sum = bias ? bias[c] : 0;
      for (let k = 0; k < inner; k++) sum += a[r * inner + k] * b[k * cols + c];
      out[r * cols + c] = sum;
    }
  }
  return out;
}

export function add(a: ArrayLike<number>, b: ArrayLike<number>): Matrix {
  return Float64Array.from({ length: a.length }, (_, i) => a[i] + b[i]);
}

export function layerNorm(x: ArrayLike<number>, rows: number, width: number, scale: ArrayLike<number>, shift: ArrayLike<number>, epsilon: number): Matrix {
  const out = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let c = 0; c < width; c++) mean += x[r * width + c];
    mean /= width;
    let variance = 0;
    for (let c = 0; c < width; c++) variance += (x[r * width + c] - mean) ** 2;
    variance /= width;
    const inverse = 1 / Math.sqrt(variance + epsilon);
    for (let c = 0; c < width; c++) out[r * width + c] = (x[r * width + c] - mean) * inverse * scale[c] + shift[c];
  }
  return out;
}

/** erf by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7). */
export function erf(x: number): number {
  const sign = Math.sign(x);
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const polynomial = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  return sign * (1 - polynomial * Math.exp(-x * x));
}

export function gelu(x: ArrayLike<number>): Matrix {
  return Float64Array.from({ length: x.length }, (_, i) => 0.5 * x[i] * (1 + erf(x[i] / Math.SQRT2)));
}

export function softmaxInPlace(values: Float64Array): Float64Array {
  const max = Math.max(...values);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] = Math.exp(values[i] - max);
  for (let i = 0; i < values.length; i++) values[i] /= sum;
  return values;
}
