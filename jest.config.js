/** @type {import('jest').Config} */
const shared = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
};

const project = (name) => ({
  ...shared,
  displayName: name,
  testMatch: [`<rootDir>/__tests__/${name}/**/*.test.ts`],
});

module.exports = {
  ...shared,
  projects: [project('unit'), project('integration'), project('e2e'), project('cli'), project('cluster')],
  // Decides once per run which PostgreSQL the database tests use, and says which.
  globalSetup: '<rootDir>/__tests__/harness/global-setup.ts',
  globalTeardown: '<rootDir>/__tests__/harness/global-teardown.ts',
  collectCoverageFrom: ['<rootDir>/src/**/*.ts', '!<rootDir>/src/generated/**'],
  coverageReporters: ['text-summary', 'text', 'lcov'],
  coverageThreshold: { global: { lines: 90, branches: 90 } },
};
