/** Jest in native ESM mode with swc; libs resolve to their sources. */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'es6' },
  },
];
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: {
    '^@shoal/(protocol|scheduler|testing|runtime)$': '<rootDir>/libs/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testEnvironment: 'node',
  // reports/ holds Stryker's sandboxes (whole copies of the repo) while a mutation run is on
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/', '<rootDir>/reports/'],
};
export default {
  testTimeout: 120000,
  projects: [
    // test/chaos/**/*.spec.ts: the chaos suite's pure checker, judged on fabricated ledgers
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/libs/**/src/**/*.spec.ts', '<rootDir>/apps/**/src/**/*.spec.ts', '<rootDir>/test/chaos/**/*.spec.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/**/*.test.ts'] , slowTestThreshold: 30 },
    // `npm run test:chaos` only (npm test selects unit and integration): real faults, minutes long
    { ...common, displayName: 'chaos', testMatch: ['<rootDir>/test/chaos/**/*.chaos.ts'], globalSetup: '<rootDir>/test/chaos/support/global-setup.mjs' },
  ],
};
