/**
 * The jest configuration StrykerJS runs mutants against: the repo's "unit" project
 * (jest.config.js), narrowed to the specs of the code that is mutated (stryker.config.mjs).
 * The `*.property.spec.ts` suites (hundreds of generated runs each) are left out unless
 * STRYKER_PROPERTY=1: every mutant of the engine or placer would run them, which makes a run
 * several times slower, and the score then says what the example-based tests pin down.
 * STRYKER_TESTS (comma-separated globs relative to the repo, e.g. `libs/protocol/src/plan*.spec.ts`)
 * narrows the specs further: a file whose mutants are mostly static (zod schemas built at module
 * load, where every mutant re-runs every related spec) is then judged by its own library's specs.
 */
import base from './jest.config.js';

const unit = base.projects.find((p) => p.displayName === 'unit');
if (!unit) throw new Error('jest.config.js has no "unit" project');
const { displayName: _name, ...unitOptions } = unit;

const defaultSpecs = [
  'libs/scheduler/src/**/*.spec.ts',
  'libs/protocol/src/**/*.spec.ts',
  'apps/node-agent/src/presets/**/*.spec.ts',
  'apps/node-agent/src/restart/**/*.spec.ts',
  'apps/node-agent/src/band/**/*.spec.ts',
  'apps/node-agent/src/governor/budget*.spec.ts',
];
const fromEnv = process.env.STRYKER_TESTS?.split(',').map((s) => s.trim()).filter(Boolean);

export default {
  ...unitOptions,
  testTimeout: base.testTimeout,
  testMatch: (fromEnv?.length ? fromEnv : defaultSpecs).map((glob) => `<rootDir>/${glob}`),
  testPathIgnorePatterns: ['/node_modules/', ...(process.env.STRYKER_PROPERTY === '1' ? [] : ['\\.property\\.spec\\.ts$'])],
};
