/**
 * Jest 30 with @swc/jest (ts-jest refuses TypeScript 7; type-checking is its own step, `npm run typecheck`).
 * Two projects: `unit` runs in parallel without root; `lab` builds network namespaces as root and runs one file at a
 * time so that no two tests build or tear down namespaces at once. Of the reconciler's tests, only the ones that
 * build namespaces (SSH testbed, CLI against a lab) are lab tests; plan, verify and apply through the local
 * transport are unit tests.
 */
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }] };
const labReconciler = ['<rootDir>/test/reconciler/ssh.test.ts', '<rootDir>/test/reconciler/cli.test.ts'];
const lab = ['<rootDir>/test/lab/', '<rootDir>/test/lab-e2e/', ...labReconciler, '<rootDir>/test/zones/kernel', '<rootDir>/test/e2e/'];
const labMatch = ['<rootDir>/test/lab/**/*.test.ts', '<rootDir>/test/lab-e2e/**/*.test.ts', ...labReconciler, '<rootDir>/test/zones/kernel*.test.ts', '<rootDir>/test/e2e/**/*.test.ts'];
module.exports = {
  // A lab step (lab up, apply, a full verify of the redundant example: 550+ checks) takes minutes on a loaded 2-core host.
  testTimeout: 900000,
  projects: [
    { displayName: 'unit', testEnvironment: 'node', roots: ['<rootDir>/test'], testMatch: ['**/*.test.ts'], testPathIgnorePatterns: ['/node_modules/', ...lab], transform },
    { displayName: 'lab', testEnvironment: 'node', roots: ['<rootDir>/test'], testMatch: labMatch, transform },
  ],
};
