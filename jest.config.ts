/** @jest-config-loader esbuild-register */
import type { Config } from 'jest'

// Tests run against TypeScript sources through swc (no type-check; `npm run typecheck` does that).
// Child processes spawned by integration tests run the compiled `dist/` runner, so `npm test` builds first.
const config: Config = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'es6' } },
    ],
  },
  moduleNameMapper: {
    '^@services-cluster/core/remote$': '<rootDir>/packages/core/src/remote/index.ts',
    '^@services-cluster/core/testing$': '<rootDir>/packages/core/src/testing/index.ts',
    '^@services-cluster/dashboard/format$': '<rootDir>/packages/dashboard/src/ui/format.ts',
    '^@services-cluster/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testMatch: ['<rootDir>/packages/*/test/**/*.test.ts', '<rootDir>/examples/*/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  testTimeout: 30_000,
}

export default config
