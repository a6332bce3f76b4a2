/**
 * The jest configuration StrykerJS runs mutants against: the repo's "unit" project
 * (jest.config.js), narrowed to the specs of the code that is mutated (stryker.config.mjs).
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
};
