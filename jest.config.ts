import type { Config } from 'jest';

/**
 * Unit and integration tests sit beside the code (`*.test.ts`); end-to-end tests in `e2e/`.
 * Long soak and benchmark-style tests are named `*.slow.test.ts`: they run in CI (`npm run test:all`)
 * but not on every save (`npm test` runs them too unless RISK_ORACLE_FAST=1).
 */
const fast = process.env.RISK_ORACLE_FAST === '1';

const config: Config = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)s$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }] },
  testMatch: ['<rootDir>/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/.risk-oracle/', ...(fast ? ['\\.slow\\.test\\.ts$'] : [])],
  modulePathIgnorePatterns: ['<rootDir>/.risk-oracle/'],
  globalSetup: '<rootDir>/core/test/global-setup.ts',
  globalTeardown: '<rootDir>/core/test/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: process.env.CI ? 2 : '50%',
};

export default config;
