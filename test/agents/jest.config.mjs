/**
 * Jest config of the real-agent suite (`npm run test:agents`, test/agents/run.mjs): not part of
 * `npm test` (jest.config.js selects neither this directory's *.agents.ts nor this config).
 */
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true }, target: 'es2022' }, module: { type: 'es6' } }];
export default {
  rootDir: '../..',
  roots: ['<rootDir>/test/agents'],
  testMatch: ['<rootDir>/test/agents/*.agents.ts'],
  testTimeout: 900_000,
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: { '^@shoal/(protocol|scheduler|testing|runtime)$': '<rootDir>/libs/$1/src/index.ts', '^(\\.{1,2}/.*)\\.js$': '$1' },
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/'],
  testEnvironment: 'node',
};
