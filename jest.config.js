// Tests run from TypeScript sources through ts-jest (CommonJS); workspace packages resolve to
// their src so tests never depend on a stale build. Every folder under packages/ and services/ is
// a workspace named @vnflab/<folder>, so a new one needs no entry here.
const { existsSync, readdirSync } = require('node:fs');
const { join } = require('node:path');

const workspaces = {};
for (const base of ['packages', 'services']) {
  for (const dir of readdirSync(join(__dirname, base))) {
    if (existsSync(join(__dirname, base, dir, 'package.json')))
      workspaces[`^@vnflab/${dir}$`] = `<rootDir>/${base}/${dir}/src`;
  }
}

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
  moduleNameMapper: workspaces,
  testMatch: ['<rootDir>/**/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  testTimeout: 60000,
};
