// Tests run from TypeScript sources through ts-jest (CommonJS); workspace packages resolve to
// their src so tests never depend on a stale build.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }],
    // cookie@2 (used by fastify.inject) ships only ESM, which Jest's CommonJS loader cannot
    // require; compile it to CommonJS like our own sources
    '/node_modules/cookie/.+\\.js$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }],
  },
  transformIgnorePatterns: ['/node_modules/(?!cookie/)'],
  moduleNameMapper: {
    '^@vnflab/core$': '<rootDir>/packages/core/src',
    '^@vnflab/cli$': '<rootDir>/packages/cli/src',
    '^@vnflab/runtime$': '<rootDir>/packages/runtime/src',
    '^@vnflab/(.*)$': '<rootDir>/services/$1/src',
  },
  testMatch: ['<rootDir>/**/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  testTimeout: 60000,
};
