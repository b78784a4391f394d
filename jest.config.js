// Tests run from TypeScript sources through ts-jest (CommonJS); workspace packages resolve to
// their src so tests never depend on a stale build.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] },
  moduleNameMapper: {
    '^@vnflab/core$': '<rootDir>/packages/core/src',
    '^@vnflab/cli$': '<rootDir>/packages/cli/src',
    '^@vnflab/(.*)$': '<rootDir>/services/$1/src',
  },
  testMatch: ['<rootDir>/**/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  testTimeout: 60000,
};
