import { TestEnvironment } from 'jest-environment-node';
import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';

// onnxruntime-node's native code builds output tensors' typed arrays in Node's main realm, while
// onnxruntime-common, loaded inside the test's vm context, checks them with `instanceof` against that
// context's constructors, and fails ("A float32 tensor's data must be type of function Float32Array").
// jest-environment-node already shares ArrayBuffer and Uint8Array with the main realm; this shares the
// other typed arrays. jest.config.js makes it the default environment.
const TYPED_ARRAYS = [
  Int8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
];

export default class OnnxTestEnvironment extends TestEnvironment {
  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    for (const constructor of TYPED_ARRAYS) this.global[constructor.name] = constructor;
  }
}
