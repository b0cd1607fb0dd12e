// The reliability suite kills connections and restarts the local PostgreSQL, so it runs alone and on demand,
// never within `npm test`. It needs none of the harness's global setup: each file makes its own database.
import base from './jest.config.js';

const { testEnvironment, transform, moduleFileExtensions } = base;

/** @type {import('jest').Config} */
export default {
  projects: [
    {
      testEnvironment,
      transform,
      moduleFileExtensions,
      displayName: 'reliability',
      testMatch: ['<rootDir>/__tests__/reliability/**/*.test.ts'],
    },
  ],
  collectCoverage: false,
  testTimeout: 120_000,
};
