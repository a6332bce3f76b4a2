// @ts-check
/**
 * StrykerJS configuration for `npm run test:mutation` (issue 15; see docs/testing.md).
 *
 * What is mutated: the pure decision code — libs/scheduler, libs/protocol and the node-agent's
 * pure deciders (presets detector, restart policy, band policy, governor budget). Which tests judge
 * the mutants: the jest "unit" specs of those same areas (stryker.config.jest.mjs), so a score says
 * how well a library's own tests pin its decisions.
 *
 * Mutate a subset: `npm run test:mutation -- --mutate libs/scheduler/src/engine.ts` (Stryker's CLI
 * flag overrides `mutate` below), or STRYKER_MUTATE="a.ts,b.ts" in the environment.
 * Incremental: results are kept in reports/stryker-incremental.json; a re-run only tests mutants
 * whose code or covering tests changed (`--force` re-tests everything).
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
const defaultMutate = [
  'libs/scheduler/src/**/*.ts',
  'libs/protocol/src/**/*.ts',
  'apps/node-agent/src/presets/detector.ts',
  'apps/node-agent/src/restart/restart-policy.ts',
  'apps/node-agent/src/band/band-policy.ts',
  'apps/node-agent/src/governor/budget.ts',
  '!**/*.spec.ts',
  '!**/*.spec-support.ts',
  '!**/index.ts',
  '!**/fixtures/**',
  '!**/test-fixtures.ts',
];

const reportDir = process.env.STRYKER_REPORT_DIR ?? 'reports/mutation';
const fromEnv = process.env.STRYKER_MUTATE?.split(',').map((s) => s.trim()).filter(Boolean);

export default {
  packageManager: 'npm',
  testRunner: 'jest',
  // Native ESM: jest's vm modules must be enabled in the test-runner child processes.
  testRunnerNodeArgs: ['--experimental-vm-modules'],
  jest: {
    projectType: 'custom',
    configFile: 'stryker.config.jest.mjs',
    // Dry run: only the specs related to the mutated files; perTest coverage then picks per mutant.
    enableFindRelatedTests: true,
  },
  coverageAnalysis: 'perTest',
  // Report every test that kills a mutant (jest runs them all anyway): the report then shows which
  // tests catch what, and a mutant killed only by newly added tests reads as a closed gap.
  disableBail: true,
  mutate: fromEnv?.length ? fromEnv : defaultMutate,
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  reporters: ['html', 'json', 'clear-text', 'progress'],
  // STRYKER_REPORT_DIR: another report directory (e.g. one per file when running files side by side).
  htmlReporter: { fileName: `${reportDir}/mutation.html` },
  jsonReporter: { fileName: `${reportDir}/mutation.json` },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  // Sandboxes: inside reports/ by default (gitignored); STRYKER_TMP moves them elsewhere.
  tempDirName: process.env.STRYKER_TMP ?? 'reports/.stryker-tmp',
  ignorePatterns: ['dist', 'reports', 'bench-results', 'coverage', '.shoal', 'test/chaos/logs', 'docs/img'],
  // A machine shared with other work: one test process unless told otherwise (`--concurrency N`).
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 1),
  timeoutMS: 5_000,
  thresholds: { high: 90, low: 80, break: null },
};
