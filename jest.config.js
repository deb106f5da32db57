/** @type {import('jest').Config} */
module.exports = {
  // Shares the host's typed arrays with tests, which onnxruntime-node's outputs need (see the file).
  testEnvironment: '<rootDir>/libs/testing/src/onnx-test-environment.ts',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
  testMatch: ['**/test/**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { swcrc: true }] },
  moduleNameMapper: { '^@switchyard/([^/]+)$': '<rootDir>/libs/$1/src' },
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  testTimeout: 30000,
};
