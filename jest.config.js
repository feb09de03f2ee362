// Jest runs in its native ESM mode (node --experimental-vm-modules, see package.json) and
// @swc/jest strips the types: the product is ESM because chalk 5, ora and the Polygon client are
// ESM-only, and the tests must load the same module graph the binary does. docs/testing.md says why.
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } }],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 60000,
  maxWorkers: 2,
};
