/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';

/**
 * Unit and integration tests sit beside the code (`*.test.ts`); end-to-end tests in `e2e/`.
 * Long soak and benchmark-style tests are named `*.slow.test.ts`: they run in CI (`npm run test:all`)
 * but not on every save (`npm test` runs them too unless RISK_ORACLE_FAST=1).
 */
const fast = process.env.RISK_ORACLE_FAST === '1';

const config: Config = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.(t|j|cj)s$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  // PGlite's CommonJS build loads Node built-ins with import(), which jest's CommonJS sandbox only allows behind
  // --experimental-vm-modules; compiling it like our own code turns those into require() calls instead.
  transformIgnorePatterns: ['/node_modules/(?!@electric-sql/pglite/)'],
  testMatch: ['<rootDir>/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/.risk-oracle/', ...(fast ? ['\\.slow\\.test\\.ts$'] : [])],
  modulePathIgnorePatterns: ['<rootDir>/.risk-oracle/'],
  globalSetup: '<rootDir>/core/test/global-setup.ts',
  globalTeardown: '<rootDir>/core/test/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: process.env.CI ? 2 : '50%',
};

export default config;
