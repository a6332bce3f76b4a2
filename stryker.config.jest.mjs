/**
 * The jest configuration StrykerJS runs mutants against: the repo's "unit" project
 * (jest.config.js), narrowed to the specs of the code that is mutated (stryker.config.mjs).
 * The `*.property.spec.ts` suites (hundreds of generated runs each) are left out unless
 * STRYKER_PROPERTY=1: every mutant of the engine or placer would run them, which makes a run
 * several times slower, and the score then says what the example-based tests pin down.
 */
import base from './jest.config.js';

const unit = base.projects.find((p) => p.displayName === 'unit');
if (!unit) throw new Error('jest.config.js has no "unit" project');
const { displayName: _name, ...unitOptions } = unit;

export default {
  ...unitOptions,
  testTimeout: base.testTimeout,
  testMatch: [
    '<rootDir>/libs/scheduler/src/**/*.spec.ts',
    '<rootDir>/libs/protocol/src/**/*.spec.ts',
    '<rootDir>/apps/node-agent/src/presets/**/*.spec.ts',
    '<rootDir>/apps/node-agent/src/restart/**/*.spec.ts',
    '<rootDir>/apps/node-agent/src/band/**/*.spec.ts',
    '<rootDir>/apps/node-agent/src/governor/budget*.spec.ts',
  ],
  testPathIgnorePatterns: ['/node_modules/', ...(process.env.STRYKER_PROPERTY === '1' ? [] : ['\\.property\\.spec\\.ts$'])],
};
